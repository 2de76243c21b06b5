import GatehouseCore
import GatehouseGRPC
import GatehouseIdentity

/// The verifiers of mTLS listeners' clients: GatehouseIdentity's ``ClientCertificateVerifier``
/// built from a listener's `tls` settings, as the ``ListenerPeerVerifier`` the transports call.
enum ListenerVerifiers {
    /// A verifier for `clients`: `clientCA` as the trust bundle, its `crls` and `trustDomain`, no X-Road mappings.
    ///
    /// - Parameters:
    ///   - clientCAAt: Where `clientCA` is written, for errors.
    ///   - crlsAt: Where each CRL path is written, in order; missing ones are reported at `clientCAAt`.
    /// - Throws: ``IdentityError`` when a file cannot be read or holds something other than a
    ///   valid bundle or CRL, at the location of the file's key.
    static func verifier(
        for clients: ClientCertificateSettings, clientCAAt: SourceLocation, crlsAt: [SourceLocation] = []
    ) throws(IdentityError) -> ClientCertificateVerifier {
        let crls = clients.crls.enumerated().map { index, path in
            Located(path, at: index < crlsAt.count ? crlsAt[index] : clientCAAt)
        }
        let settings = MutualTLSSettings(
            trustBundle: Located(clients.clientCA, at: clientCAAt), trustDomain: clients.trustDomain, crls: crls,
            location: clientCAAt)
        return try ClientCertificateVerifier(settings: settings)
    }

    /// The verifier of every mTLS listener, by address.
    ///
    /// - Parameter file: The configuration file the listeners came from, to name in errors.
    /// - Throws: ``IdentityError`` as ``verifier(for:clientCAAt:crlsAt:)`` does (the configuration
    ///   was validated when read, so only a file changed since then fails here).
    static func verifiers(
        for listeners: [ListenerConfiguration], file: String?
    ) throws(IdentityError) -> [ListenerConfiguration.Address: any ListenerPeerVerifier] {
        var verifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier] = [:]
        for listener in listeners {
            guard case .mutualTLS(_, _, let clients) = listener.security else { continue }
            let location = SourceLocation(file: file ?? "grpc.listeners[\(listener.address)]", line: 1, column: 1)
            verifiers[listener.address] = try Self.verifier(for: clients, clientCAAt: location)
        }
        return verifiers
    }

    /// Whether `text` is a SPIFFE trust domain: lower-case letters, digits, `.`, `-` and `_`.
    static func isTrustDomain(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "._-".utf8.contains(byte)
            }
    }
}
