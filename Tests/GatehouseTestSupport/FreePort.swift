#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP port on 127.0.0.1 that nothing listened on a moment ago, for a child server that
/// cannot be told to pick its own (PostgreSQL has no port 0).
///
/// The kernel hands out the port (bind to port 0, read it back, close), so parallel tests do not
/// collide the way a random or fixed number would; another process may still take it before the
/// child binds it, so callers retry once the child reports the port in use.
package enum FreePort {
    /// Asks the kernel for an unused loopback port.
    ///
    /// - Throws: ``ProcessRunner/Failure`` when no socket can be made or bound.
    package static func loopback() throws -> Int {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw ProcessRunner.Failure(description: "socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard bound else { throw ProcessRunner.Failure(description: "cannot bind 127.0.0.1:0: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
