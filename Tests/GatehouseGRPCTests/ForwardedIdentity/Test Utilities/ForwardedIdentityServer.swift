import EnvoyAuthAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GatehouseCache
import GatehouseCore
import GatehouseGRPC
import GatehouseIdentity
import GatehousePolicy
import GatehouseTestSupport
import Logging
import ServiceLifecycle
import SwiftProtobuf
import Testing
import X509

/// A `GRPCServerService` with one listener (a Unix socket or an mTLS loopback port), wired as
/// `gatehouse serve` wires it: the policies compiled from files with their identity files loaded
/// by ``IdentityLoader``, one decision cache in front of the authorizer, each listener's caller
/// policy from ``GRPCServerService/callers(of:)``.
struct ForwardedIdentityServer: Sendable {
    /// Where clients connect: the listener's address, its TCP port bound.
    let address: ListenerConfiguration.Address
    /// How clients secure their connections.
    let clientSecurity: HTTP2ClientTransport.Posix.TransportSecurity

    /// Runs `body` with the server; shuts it down gracefully afterwards.
    ///
    /// - Parameters:
    ///   - listener: The listener; a TCP port 0 is bound to a free port.
    ///   - verifier: The mTLS listener's client verifier.
    ///   - clientSecurity: How the test's clients connect.
    ///   - policy: The policy text, compiled as `policy.yaml` in `directory` (where its files are).
    ///   - metadata: The answers' metadata fields; the server's default (lean) unless a test reads more.
    static func with<Result: Sendable>(
        listener: ListenerConfiguration,
        verifier: (any ListenerPeerVerifier)? = nil,
        clientSecurity: HTTP2ClientTransport.Posix.TransportSecurity = .plaintext,
        policy: String, directory: String, metadata: MetadataFields = .lean,
        _ body: (ForwardedIdentityServer) async throws -> Result
    ) async throws -> Result {
        let compiled = PolicyCompiler.compile(
            sources: [PolicySource(path: directory + "/policy.yaml", text: policy)], checksFiles: true)
        let tree = try #require(compiled.compiled, "\(compiled.diagnostics)")
        let authorizer = Authorizer()
        authorizer.activate(tree.tree, authenticator: try ServerAuthenticators.load(tree))
        let decider = CachingAuthorizer(authorizer: authorizer)
        let logger = Logger(label: "forwarded-identity")
        let verifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier] =
            verifier.map { [listener.address: $0] } ?? [:]
        let configuration = GRPCServerConfiguration(
            listeners: [listener], shutdownGracePeriod: .seconds(5), eventLoopThreads: 1)
        return try await withServedListener(logger: logger) { onListening in
            GRPCServerService(
                configuration: configuration,
                logger: logger,
                directCheck: GRPCServerService.DirectCheck(
                    service: AuthorizationService(decider: decider, logger: logger, metadata: metadata),
                    isServing: { authorizer.isReady }),
                peerVerifiers: verifiers,
                onListening: onListening)
        } _: { announced, _ in
            var bound = listener.address
            if case .tcp(let host, _) = listener.address {
                bound = .tcp(host: host, port: try #require(announced.split(separator: ":").last.flatMap { Int($0) }))
            }
            return try await body(ForwardedIdentityServer(address: bound, clientSecurity: clientSecurity))
        }
    }

    /// One check over a new connection, as `security` says (by default the server's client security).
    func check(
        _ request: Envoy_Service_Auth_V3_CheckRequest,
        security: HTTP2ClientTransport.Posix.TransportSecurity? = nil
    ) async throws -> Envoy_Service_Auth_V3_CheckResponse {
        let target: any ResolvableTarget
        switch self.address {
        case .unix(let path): target = .unixDomainSocket(path: path)
        case .tcp(let host, let port): target = .ipv4(address: host, port: port)
        }
        let transport = try HTTP2ClientTransport.Posix(
            target: target, transportSecurity: security ?? self.clientSecurity,
            config: .defaults { $0.connection.maxIdleTime = nil })
        return try await withGRPCClient(transport: transport) { client in
            try await Envoy_Service_Auth_V3_Authorization.Client(wrapping: client).check(request, options: .failFast())
        }
    }

    /// A CheckRequest for `host` and `path` at the server's time, with Envoy's URL-encoded
    /// certificate and principal when given.
    static func request(
        host: String, path: String, certificate: Certificate? = nil, principal: String? = nil
    ) throws -> Envoy_Service_Auth_V3_CheckRequest {
        var request = Envoy_Service_Auth_V3_CheckRequest()
        request.attributes.request.http.method = "GET"
        request.attributes.request.http.path = path
        request.attributes.request.http.host = host
        request.attributes.source.address.socketAddress.address = "10.1.2.3"
        if let certificate { request.attributes.source.certificate = try TestPKI.envoyEncoded(certificate) }
        if let principal { request.attributes.source.principal = principal }
        return request
    }
}

extension Envoy_Service_Auth_V3_CheckResponse {
    /// A string field of the dynamic metadata.
    func metadata(_ name: String) -> String? {
        self.dynamicMetadata.fields[name]?.stringValue
    }

    /// The value of a header the allow response sets.
    func allowedHeader(_ name: String) -> String? {
        self.okResponse.headers.first { $0.header.key == name }?.header.value
    }
}
