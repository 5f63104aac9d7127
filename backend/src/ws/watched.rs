//! [`Watched`]: a connection's TCP stream before its upgrade, telling its [`Watcher`] each
//! time a read takes bytes, and each time a read finds nothing to take, that is, when the
//! server is waiting on the client rather than the client on the server. The cap on connections waiting for their upgrade
//! (`server::waiting`) closes only connections that have kept the server waiting so, never
//! one whose request the server has not read yet or is still answering.
//!
//! It lives here, below the server, because the upgrade ([`Upgrade`](super::Upgrade)) takes
//! the plain `TcpStream` back out of it; the watcher is a trait this module owns and the
//! server implements.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Told what the reads of the stream it watches found.
pub trait Watcher: Send + Sync + 'static {
    /// A read took bytes from the client.
    fn heard(&self);
    /// A read is waiting for the client's next bytes.
    fn waiting_on_peer(&self);
}

/// A TCP stream whose reads its [`Watcher`] hears of.
pub struct Watched {
    /// The stream itself, handed back whole by [`Watched::into_stream`].
    stream: TcpStream,
    /// Who hears of the reads that found nothing.
    watcher: Box<dyn Watcher>,
}

impl Watched {
    pub fn new(stream: TcpStream, watcher: impl Watcher) -> Self {
        Self {
            stream,
            watcher: Box::new(watcher),
        }
    }

    /// The plain stream, no longer watched.
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        match polled {
            Poll::Pending => this.watcher.waiting_on_peer(),
            Poll::Ready(Ok(())) if buf.filled().len() > before => this.watcher.heard(),
            Poll::Ready(_) => {}
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
