'use strict';
// The classic Node.js private-message server that bench/ measures ours against: a client
// registers with {"type":"online","from":id}; every other message is forwarded to the
// connection registered as its "to" user (a Map from user to connection).
//
// Usage: node private.js <port> [host]    (prints "listening" once ready)

const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.argv[2] || 8082);
const host = process.argv[3] || '127.0.0.1';

const users = new Map();
const wss = new WebSocketServer({ host, port });

wss.on('connection', (ws) => {
  let id = null;
  ws.on('message', (data, isBinary) => {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (msg.type === 'online') {
      id = msg.from;
      users.set(id, ws);
      return;
    }
    const to = users.get(msg.to);
    if (to && to.readyState === WebSocket.OPEN) {
      to.send(data, { binary: isBinary });
    }
  });
  ws.on('close', () => {
    if (id !== null && users.get(id) === ws) users.delete(id);
  });
  ws.on('error', () => {});
});

wss.on('listening', () => console.log(`listening on ${host}:${port}`));
