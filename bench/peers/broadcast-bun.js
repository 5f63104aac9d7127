// The same broadcast chat as broadcast.js, on Bun's built-in WebSocket server (uWebSockets):
// every connection subscribes to one topic, and every message a client sends is published to
// it, which reaches every subscriber but the sender. This is the way Bun's documentation
// writes a chat room, and the fastest fan-out a JavaScript team would pick.
//
// Usage: bun broadcast-bun.js <port> [host]    (prints "listening" once ready)

const port = Number(process.argv[2] || 8083);
const hostname = process.argv[3] || '127.0.0.1';

const ROOM = 'room';

Bun.serve({
  hostname,
  port,
  fetch(req, server) {
    if (server.upgrade(req)) return undefined;
    return new Response('WebSocket only', { status: 426 });
  },
  websocket: {
    // Like ws: no idle timeout, no pings, no limit on the bytes buffered for a slow reader.
    idleTimeout: 0,
    sendPings: false,
    open(ws) {
      ws.subscribe(ROOM);
    },
    message(ws, data) {
      ws.publish(ROOM, data);
    },
  },
});

console.log(`listening on ${hostname}:${port}`);
