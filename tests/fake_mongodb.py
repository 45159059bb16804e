"""A MongoDB server on 127.0.0.1 that speaks enough of the wire protocol (OP_QUERY, OP_MSG) for
pymongo: the handshake, SCRAM-SHA-256 authentication with one password, the declared
indexes of every collection (so that the web app starts), and empty answers to queries.

`refuse_logins()` then does what a server does once the password was changed: it closes every
connection and refuses each new authentication with "Authentication failed." (code 18), so the
app's next query fails inside pymongo's SCRAM code, whose variables hold the password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import socketserver
import struct
import threading
from datetime import UTC, datetime

import bson

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
HELLO = {"hello", "ismaster", "isMaster"}
SCRAM_ITERATIONS = 4096


class RefusingMongoDB:
    """`with RefusingMongoDB(password, indexes) as server:` — on 127.0.0.1:`server.port`; any user name.

    `indexes` maps a collection's name to the index documents listIndexes returns for it."""

    def __init__(self, password: str, indexes: dict[str, list[dict]]) -> None:
        self.password, self.indexes = password, indexes
        self.refusing = threading.Event()
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()

    def __enter__(self) -> RefusingMongoDB:
        self.server = _Server(("127.0.0.1", 0), _Connection)
        self.server.fake = self
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._close_connections()

    def refuse_logins(self) -> None:
        self.refusing.set()
        self._close_connections()

    def _close_connections(self) -> None:
        with self.lock:
            for connection in self.connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.connections.clear()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: RefusingMongoDB


class _Connection(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        fake = self.server.fake
        with fake.lock:
            fake.connections.add(self.request)
        self.scram: dict = {}
        try:
            while (message := self._read_message()) is not None:
                request_id, opcode, body = message
                if opcode == OP_QUERY:
                    command = _query_document(body)
                    reply = struct.pack("<iqii", 0, 0, 0, 1) + bson.encode(self.answer(command))
                    self._send(request_id, OP_REPLY, reply)
                elif opcode == OP_MSG and body[4] == 0:  # flagBits, then the command (section kind 0)
                    command = bson.decode(body[5 : 5 + struct.unpack("<i", body[5:9])[0]])
                    self._send(request_id, OP_MSG, struct.pack("<I", 0) + b"\x00" + bson.encode(self.answer(command)))
                else:
                    return
        except OSError:
            return
        finally:
            with fake.lock:
                fake.connections.discard(self.request)

    def answer(self, command: dict) -> dict:
        name = next(iter(command), "")
        if name in HELLO:
            return _hello()
        if name == "saslStart":
            return self.sasl_start(bytes(command["payload"]))
        if name == "saslContinue":
            return self.sasl_continue(bytes(command["payload"]))
        if name == "listIndexes":
            indexes = self.server.fake.indexes.get(command["listIndexes"], [])
            return _cursor(
                f"{command.get('$db')}.{command['listIndexes']}",
                [{"v": 2, "key": {"_id": 1}, "name": "_id_"}, *indexes],
            )
        if name in ("find", "aggregate"):
            return _cursor(f"{command.get('$db')}.{command[name]}", [])
        return {"ok": 1.0}

    def sasl_start(self, payload: bytes) -> dict:
        fake = self.server.fake
        if fake.refusing.is_set():
            return {"ok": 0.0, "errmsg": "Authentication failed.", "code": 18, "codeName": "AuthenticationFailed"}
        client_first_bare = payload.split(b",", 2)[2]
        client_nonce = dict(part.split(b"=", 1) for part in client_first_bare.split(b","))[b"r"]
        salt = os.urandom(16)
        nonce = client_nonce + base64.b64encode(os.urandom(18))
        server_first = b"r=%s,s=%s,i=%d" % (nonce, base64.b64encode(salt), SCRAM_ITERATIONS)
        self.scram = {"client_first_bare": client_first_bare, "server_first": server_first, "salt": salt}
        return {"conversationId": 1, "done": False, "payload": bson.Binary(server_first), "ok": 1.0}

    def sasl_continue(self, payload: bytes) -> dict:
        if not payload:  # the client's last, empty step
            return {"conversationId": 1, "done": True, "payload": bson.Binary(b""), "ok": 1.0}
        without_proof, _, proof = payload.rpartition(b",p=")
        salted = hashlib.pbkdf2_hmac("sha256", self.server.fake.password.encode(), self.scram["salt"], SCRAM_ITERATIONS)
        client_key = hmac.digest(salted, b"Client Key", "sha256")
        message = b",".join((self.scram["client_first_bare"], self.scram["server_first"], without_proof))
        signature = hmac.digest(hashlib.sha256(client_key).digest(), message, "sha256")
        expected = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        if base64.b64decode(proof) != expected:
            return {"ok": 0.0, "errmsg": "Authentication failed.", "code": 18, "codeName": "AuthenticationFailed"}
        server_signature = hmac.digest(hmac.digest(salted, b"Server Key", "sha256"), message, "sha256")
        verifier = b"v=" + base64.b64encode(server_signature)
        return {"conversationId": 1, "done": True, "payload": bson.Binary(verifier), "ok": 1.0}

    def _read_message(self) -> tuple[int, int, bytes] | None:
        header = self._read(16)
        if header is None:
            return None
        length, request_id, _, opcode = struct.unpack("<iiii", header)
        body = self._read(length - 16)
        return None if body is None else (request_id, opcode, body)

    def _send(self, request_id: int, opcode: int, payload: bytes) -> None:
        self.request.sendall(struct.pack("<iiii", 16 + len(payload), 0, request_id, opcode) + payload)

    def _read(self, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data


def _query_document(body: bytes) -> dict:
    """An OP_QUERY's command: after flags, the collection's name and skip/limit."""
    start = body.index(b"\x00", 4) + 1 + 8
    document = bson.decode(body[start : start + struct.unpack("<i", body[start : start + 4])[0]])
    return document.get("$query", document)


def _hello() -> dict:
    return {
        "isWritablePrimary": True,
        "ismaster": True,
        "helloOk": True,
        "maxBsonObjectSize": 16 * 1024 * 1024,
        "maxMessageSizeBytes": 48_000_000,
        "maxWriteBatchSize": 100_000,
        "localTime": datetime.now(UTC),
        "logicalSessionTimeoutMinutes": 30,
        "connectionId": 1,
        "minWireVersion": 0,
        "maxWireVersion": 21,
        "readOnly": False,
        "saslSupportedMechs": ["SCRAM-SHA-256"],
        "ok": 1.0,
    }


def _cursor(namespace: str, documents: list[dict]) -> dict:
    return {"cursor": {"id": bson.Int64(0), "ns": namespace, "firstBatch": documents}, "ok": 1.0}
