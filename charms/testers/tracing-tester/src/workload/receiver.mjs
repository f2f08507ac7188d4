#!/usr/bin/env node
// The tracing tester's workload: an OTLP trace receiver with Node's own modules only.
//   gRPC (h2c) on --grpc HOST:PORT: /opentelemetry.proto.collector.trace.v1.TraceService/Export;
//     each request message is recorded as base64 protobuf (the tests decode it) and answered with
//     an empty ExportTraceServiceResponse and grpc-status 0.
//   HTTP on --http HOST:PORT: POST /v1/traces with application/json (recorded as parsed) or
//     application/x-protobuf (recorded as base64); GET /received returns {http, grpc}.
import { createServer as createHttp } from "node:http";
import { createServer as createHttp2 } from "node:http2";
import { listenAddress, option } from "@charmkit/tester-kit/workload";

const EXPORT_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const received = { http: [], grpc: [] };

// gRPC: length-prefixed messages (1 byte compressed flag, 4 bytes big-endian length).
const grpc = createHttp2();
grpc.on("stream", (stream, headers) => {
  const path = headers[":path"];
  const chunks = [];
  stream.on("data", (c) => chunks.push(c));
  stream.on("end", () => {
    if (path !== EXPORT_PATH) {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": "12" },
        { endStream: true },
      );
      return;
    }
    const buf = Buffer.concat(chunks);
    for (let off = 0; off + 5 <= buf.length; ) {
      const compressed = buf[off] === 1;
      const len = buf.readUInt32BE(off + 1);
      const msg = buf.subarray(off + 5, off + 5 + len);
      received.grpc.push({
        compressed,
        message: msg.toString("base64"),
        userAgent: headers["user-agent"] ?? "",
      });
      off += 5 + len;
    }
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
  });
});
const grpcAt = listenAddress(option("--grpc", "127.0.0.1:4317"));
grpc.listen(grpcAt.port, grpcAt.host, () => console.log(`OTLP/gRPC on ${grpcAt.host}:${grpcAt.port}`));

const http = createHttp((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (req.method === "GET" && url.pathname === "/received") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received));
    return;
  }
  if (req.method !== "POST" || url.pathname !== "/v1/traces") {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const type = req.headers["content-type"] ?? "";
    if (type.startsWith("application/json")) {
      try {
        received.http.push({
          json: JSON.parse(body.toString("utf8")),
          userAgent: req.headers["user-agent"] ?? "",
        });
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
      return;
    }
    received.http.push({ protobuf: body.toString("base64"), userAgent: req.headers["user-agent"] ?? "" });
    res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
  });
});
const httpAt = listenAddress(option("--http", "127.0.0.1:4318"));
http.listen(httpAt.port, httpAt.host, () => console.log(`OTLP/HTTP on ${httpAt.host}:${httpAt.port}`));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
