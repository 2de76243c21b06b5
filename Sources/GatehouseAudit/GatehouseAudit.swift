// The decision log (issue #13): records from Core's `AuditSink` port, appended to a per-writer
// Merkle tree (RFC 9162 hashing) with signed checkpoints (C2SP tlog-checkpoint), stored in
// SQLite, queried and proven by `gatehouse audit`.
