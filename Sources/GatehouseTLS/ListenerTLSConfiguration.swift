package import NIOSSL

/// The server side of a listener's TLS, the same for the gRPC and the admin listeners.
package enum ListenerTLSConfiguration {
    /// Whether a listener asks for a client certificate.
    package enum ClientCertificates: Sendable {
        /// Not asked for (server-only TLS).
        case none
        /// Asked for, not required: a client without one may still authenticate otherwise (the
        /// admin API's bearer tokens).
        case optional
        /// Required.
        case required
    }

    /// A server configuration: the certificate chain and key from PEM files, TLS 1.2 or later, `protocols` by ALPN.
    ///
    /// A client certificate, when one is asked for, is judged entirely by the handshake's custom
    /// callback (``HandshakeVerification``): BoringSSL's own chain verification and trust roots
    /// play no part, and a chain the callback refuses fails the handshake.
    package static func server(
        chain: String, key: String, protocols: [String], clientCertificates: ClientCertificates
    ) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(chain).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = protocols
        switch clientCertificates {
        case .none: configuration.certificateVerification = .none
        case .optional: configuration.certificateVerification = .optionalVerification
        case .required: configuration.certificateVerification = .noHostnameVerification
        }
        return configuration
    }
}
