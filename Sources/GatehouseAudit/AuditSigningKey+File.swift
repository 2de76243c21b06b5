import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension AuditSigningKey {
    /// Loads the key at `path`, or creates one there if there is no file yet.
    ///
    /// A new key is written with mode 0600, its directory created with mode 0700 if missing.
    /// An existing file that group or others may read is refused, so that a copied or
    /// carelessly restored key does not keep signing.
    ///
    /// - Parameters:
    ///   - path: the PEM file; its directory must not be inside the database's.
    ///   - name: the signer name for checkpoints.
    /// - Throws: ``AuditError/Code/keyUnsafe`` for a file readable by others,
    ///   ``AuditError/Code/keyUnreadable`` when it cannot be read or written,
    ///   ``AuditError/Code/keyInvalid`` when it is not an Ed25519 PKCS#8 PEM.
    package static func loadOrCreate(path: String, name: String) throws(AuditError) -> AuditSigningKey {
        var status = stat()
        if stat(path, &status) == 0 {
            return try Self.load(path: path, name: name)
        }
        guard errno == ENOENT else { throw Self.unreadable(path, errno) }
        let key = try Self.generate(name: name)
        try Self.create(key.pem, at: path)
        return key
    }

    /// Loads the key at `path`, refusing a file that others may read.
    package static func load(path: String, name: String) throws(AuditError) -> AuditSigningKey {
        var status = stat()
        guard stat(path, &status) == 0 else { throw Self.unreadable(path, errno) }
        guard status.st_mode & 0o077 == 0 else {
            throw AuditError(
                .keyUnsafe,
                "The audit signing key '\(path)' has mode \(String(status.st_mode & 0o777, radix: 8)), so users other "
                    + "than its owner may read it; run 'chmod 600 \(path)' (and replace the key if others did read it)."
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw Self.unreadable(path, EACCES) }
        return try AuditSigningKey(name: name, pem: String(decoding: data, as: UTF8.self))
    }

    private static func create(_ pem: String, at path: String) throws(AuditError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw AuditError(
                    .keyUnreadable,
                    "The directory '\(directory)' for the audit signing key cannot be created (\(error)); "
                        + "create it or name another with audit.keyFile.")
            }
        }
        // O_EXCL: two writers starting at once must not both believe their key is the one on disk.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.unreadable(path, errno) }
        defer { close(descriptor) }
        let bytes = Array(pem.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            let failure = errno
            unlink(path)
            throw Self.unreadable(path, failure)
        }
    }

    private static func unreadable(_ path: String, _ code: Int32) -> AuditError {
        AuditError(
            .keyUnreadable,
            "The audit signing key '\(path)' cannot be read or created (\(String(cString: strerror(code)))); check "
                + "the path and its directory's permissions.")
    }
}
