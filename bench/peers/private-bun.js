// The same private-message server as private.js, on Bun's built-in WebSocket server
// (uWebSockets): a client registers with {"type":"online","from":id}; every other message is
// forwarded to the connection registered as its "to" user (a Map from user to connection).
//
// Usage: bun private-bun.js <port> [host]    (prints "listening" once ready)

const port = Number(process.argv[2] || 8084);
const hostname = process.argv[3] || '127.0.0.1';

const users = new Map();

Bun.serve({
  hostname,
  port,
  fetch(req, server) {
    if (server.upgrade(req, { data: { id: null } })) return undefined;
    return new Response('WebSocket only', { status: 426 });
  },
  websocket: {
    // Like ws: no idle timeout, no pings, no limit on the bytes buffered for a slow reader.
    idleTimeout: 0,
    sendPings: false,
    message(ws, data) {
      let msg;
      try {
        msg = JSON.parse(data);
      } catch {
        return;
      }
      if (msg.type === 'online') {
        ws.data.id = msg.from;
        users.set(msg.from, ws);
        return;
      }
      const to = users.get(msg.to);
      if (to) to.send(data);
    },
    close(ws) {
      const id = ws.data.id;
      if (id !== null && users.get(id) === ws) users.delete(id);
    },
  },
});

console.log(`listening on ${hostname}:${port}`);
