import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// TCP ports on 127.0.0.1 for child servers the tests start (Gatehouse, Envoy, PostgreSQL, …).
///
/// Ports come from below Linux's ephemeral range (32768–60999 by default): the kernel never gives
/// those out for a `bind` to port 0 or for the source port of an outgoing connection, so no curl,
/// Envoy upstream connection or port-0 listener of a parallel test can take a port between the
/// moment it is chosen and the moment the child binds it. (Ports found by binding port 0 could be
/// taken that way: fresh-clone CI runs failed on "Address already in use".) Each port is handed out
/// once per test process and was free when chosen.
package enum FreePort {
    /// Where ports are chosen: under the ephemeral range, above most services' fixed ports.
    static let range = 20_000..<32_768
    /// Every port handed out in this process, so that parallel tests never get the same one.
    private static let handedOut = Mutex<Set<Int>>([])

    /// One unused loopback port.
    ///
    /// - Throws: ``ProcessRunner/Failure`` when no free port is found.
    package static func loopback() throws -> Int {
        try Self.next(1)[0]
    }

    /// `count` distinct unused loopback ports.
    ///
    /// - Throws: ``ProcessRunner/Failure`` when not enough free ports are found.
    package static func next(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        var tries = 0
        while ports.count < count {
            tries += 1
            guard tries <= 10_000 else {
                throw ProcessRunner.Failure(description: "no free loopback port in \(Self.range) after \(tries) tries")
            }
            let candidate = Int.random(in: Self.range)
            guard Self.handedOut.withLock({ $0.insert(candidate).inserted }), Self.isFree(candidate) else { continue }
            ports.append(candidate)
        }
        return ports
    }

    /// Whether a listener could bind 127.0.0.1:`port` just now.
    private static func isFree(_ port: Int) -> Bool {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 }
        }
    }
}
