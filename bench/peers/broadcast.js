'use strict';
// The classic Node.js chat server that bench/ measures ours against: an array of open
// connections, and every message a client sends is forwarded to every other connection.
//
// Usage: node broadcast.js <port> [host]    (prints "listening" once ready)

const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.argv[2] || 8081);
const host = process.argv[3] || '127.0.0.1';

const clients = [];
const wss = new WebSocketServer({ host, port });

wss.on('connection', (ws) => {
  clients.push(ws);
  ws.on('message', (data, isBinary) => {
    for (const client of clients) {
      if (client !== ws && client.readyState === WebSocket.OPEN) {
        client.send(data, { binary: isBinary });
      }
    }
  });
  ws.on('close', () => {
    const i = clients.indexOf(ws);
    if (i !== -1) clients.splice(i, 1);
  });
  ws.on('error', () => {});
});

wss.on('listening', () => console.log(`listening on ${host}:${port}`));
