package import GRPCCore
import GRPCNIOTransportHTTP2
import X509

/// Which clients may call the Authorization service: any, or only named Envoys.
///
/// On an mTLS listener the TLS handshake already proves the client holds a certificate from
/// the configured CA; pinning narrows that to the Envoys named by SPIFFE ID (a URI SAN) or by
/// subject (RFC 4514 text, e.g. `CN=envoy-front,O=Gatehouse dev`). A caller that does not
/// match gets a gRPC `PERMISSION_DENIED`, so an Envoy configured with `failure_mode_allow: false`
/// denies its request.
package struct CallerPolicy: Sendable, Hashable {
    /// SPIFFE IDs allowed to call.
    package var spiffeIDs: [String]
    /// Certificate subjects allowed to call.
    package var subjects: [String]

    package init(spiffeIDs: [String] = [], subjects: [String] = []) {
        self.spiffeIDs = spiffeIDs
        self.subjects = subjects
    }

    /// Any caller the listener accepts.
    package static let anyCaller = CallerPolicy()

    /// Whether a certificate is required and checked at all.
    package var isPinned: Bool { !self.spiffeIDs.isEmpty || !self.subjects.isEmpty }

    /// Throws `PERMISSION_DENIED` unless the caller's certificate names an allowed identity.
    func authorize(_ context: ServerContext) throws(RPCError) {
        guard self.isPinned else { return }
        guard let transport = context.transportSpecific as? HTTP2ServerTransport.Posix.Context,
            let certificate = transport.peerCertificate
        else {
            throw RPCError(
                code: .permissionDenied, message: "A client certificate naming an allowed Envoy is required.")
        }
        if self.subjects.contains(certificate.subject.description) { return }
        let names = (try? certificate.extensions.subjectAlternativeNames) ?? nil
        for name in names ?? SubjectAlternativeNames() {
            if case .uniformResourceIdentifier(let uri) = name, self.spiffeIDs.contains(uri) { return }
        }
        throw RPCError(
            code: .permissionDenied,
            message:
                "The client certificate (serial \(certificate.serialNumber)) is not one of the Envoys allowed to call.")
    }
}
