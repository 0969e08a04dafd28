"""A loopback TCP proxy to a MongoDB wire-protocol server that reports ``minWireVersion`` 0.

Test helper for the Omniboard check. nx-27017 answers ``hello``/``isMaster``
with ``minWireVersion`` 17, and Omniboard's driver (Node mongodb 3.x through
mongoose 5) refuses servers whose minimum is above 13; a real MongoDB reports
0. Every other byte is passed through unchanged.

Run as ``python wire_version_proxy.py LISTEN_PORT TARGET_PORT`` (both on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import struct
import sys

import bson

OP_REPLY = 1
OP_MSG = 2013


def patch_reply(message: bytes) -> bytes:
    """``message`` with ``minWireVersion`` set to 0 in any reply document that has it."""
    _, request_id, response_to, opcode = struct.unpack("<iiii", message[:16])
    if opcode == OP_REPLY:
        head = message[16:36]
        docs = [dict(d, minWireVersion=0) if "minWireVersion" in d else d
                for d in bson.decode_all(message[36:])]
        payload = head + b"".join(bson.encode(d) for d in docs)
    elif opcode == OP_MSG and message[20] == 0:
        size = struct.unpack("<i", message[21:25])[0]
        doc = bson.decode(message[21:21 + size])
        if "minWireVersion" not in doc:
            return message
        doc["minWireVersion"] = 0
        payload = message[16:20] + b"\x00" + bson.encode(doc) + message[21 + size:]
    else:
        return message
    return struct.pack("<iiii", 16 + len(payload), request_id, response_to, opcode) + payload


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rewrite: bool) -> None:
    try:
        while True:
            head = await reader.readexactly(16)
            length = struct.unpack("<i", head[:4])[0]
            message = head + await reader.readexactly(length - 16)
            writer.write(patch_reply(message) if rewrite else message)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(listen_port: int, target_port: int) -> None:
    """Accept on 127.0.0.1:``listen_port`` and forward to 127.0.0.1:``target_port``."""
    async def handle(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(_pump(client_reader, server_writer, False),
                             _pump(server_reader, client_writer, True))

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2])))
