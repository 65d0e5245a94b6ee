// A minimal image server on sharp (libvips), the libvips peer of the load
// benchmark (benches/load/run.py). GET /img/{file}?w=512[&q=80] answers
// sharp(file).resize({width: w}).jpeg({quality: q}); files are read from
// PHOTO_DIR. sharp's operation cache is off, its concurrency left at default.
// Usage: PHOTO_DIR=dir node sharp_server.js PORT   (listens on 127.0.0.1)
'use strict';
const http = require('http');
const path = require('path');
const sharp = require('sharp');

sharp.cache(false);
const root = path.resolve(process.env.PHOTO_DIR || '.');
const port = Number(process.argv[2] || 8081);

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const m = /^\/img\/([A-Za-z0-9_.-]+)$/.exec(url.pathname);
  if (req.method !== 'GET' || !m) {
    if (url.pathname === '/healthz') { res.end('ok'); return; }
    res.writeHead(404).end('not found\n');
    return;
  }
  const width = Math.min(Math.max(parseInt(url.searchParams.get('w') || '512', 10) || 512, 1), 4096);
  const quality = Math.min(Math.max(parseInt(url.searchParams.get('q') || '80', 10) || 80, 1), 100);
  sharp(path.join(root, m[1]))
    .resize({ width })
    .jpeg({ quality })
    .toBuffer()
    .then((buf) => {
      res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': buf.length });
      res.end(buf);
    })
    .catch((err) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err) + '\n');
    });
}).listen(port, '127.0.0.1', () => {
  console.log(`sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}) on 127.0.0.1:${port}`);
});
