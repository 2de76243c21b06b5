package import Crypto
package import EnvoyAuthAPI
import Foundation
package import GatehouseCore
import GatehouseIdentity
import GatehousePolicy
import Logging
package import _CryptoExtras

/// A policy with one RS256 issuer (its JWKS file in a temporary directory), a token, and a request.
package final class CheckFixture: Sendable {
    /// The active revision: the policy and its RS256 key set.
    package let authorizer = Authorizer()
    /// The Check Envoy would send: `GET /api/resource` with the bearer token.
    package let request: Envoy_Service_Auth_V3_CheckRequest
    /// The same request as Gatehouse models it.
    package let authzRequest: AuthzRequest
    /// The signing key, for minting more tokens.
    package let key: _RSA.Signing.PrivateKey

    package init() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gatehouse-check-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let primitives = try key.publicKey.getKeyPrimitives()
        let jwks =
            #"{"keys":[{"kty":"RSA","kid":"k1","alg":"RS256","use":"sig","n":"\#(Self.base64URL(primitives.modulus))","e":"\#(Self.base64URL(primitives.publicExponent))"}]}"#
        try Data(jwks.utf8).write(to: directory.appendingPathComponent("jwks.json"))
        let policy = """
            kind: Policy
            name: bench
            authentication:
              jwt:
                - issuer: https://issuer.bench.local
                  audiences: [bench-api]
                  jwks: { file: jwks.json }
            rules:
              - name: readers
                action: allow
                methods: [GET]
                paths: [/api/**]
                claims: { role: reader }
            response:
              allow:
                headers: [{ name: x-auth-sub, value: "${jwt.sub}" }]
            """
        let path = directory.appendingPathComponent("bench.yaml").path
        let result = PolicyCompiler.compile(sources: [PolicySource(path: path, text: policy)], checksFiles: true)
        guard let compiled = result.compiled else { throw FixtureError(description: "\(result.diagnostics)") }
        let registry = KeySetRegistry(fetcher: HTTPFetcher(), logger: Logger(label: "bench"))
        self.authorizer.activate(
            compiled.tree, authenticator: try IdentityLoader.load(compiled.authentication, keySets: registry))

        let now = Int(Date().timeIntervalSince1970)
        let header = Self.base64URL(Data(#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#.utf8))
        let payload = Self.base64URL(
            Data(
                #"{"iss":"https://issuer.bench.local","aud":"bench-api","sub":"user-123","role":"reader","iat":\#(now),"exp":\#(now + 86_400)}"#
                    .utf8))
        let signature = try key.signature(for: Data("\(header).\(payload)".utf8), padding: .insecurePKCS1v1_5)
        let token = "\(header).\(payload).\(Self.base64URL(signature.rawRepresentation))"
        var request = Envoy_Service_Auth_V3_CheckRequest()
        request.attributes.request.http.method = "GET"
        request.attributes.request.http.path = "/api/resource"
        request.attributes.request.http.host = "bench.local"
        request.attributes.request.http.headers = ["authorization": "Bearer \(token)"]
        request.attributes.request.time.seconds = Int64(now)
        self.request = request
        self.authzRequest = AuthzRequest(
            method: "GET", path: "/api/resource", host: "bench.local", headers: [("authorization", "Bearer \(token)")],
            time: UnixTime(seconds: Int64(now)))
        self.key = key
    }

    package static func base64URL(_ data: Data) -> String {
        Base64URL.encode(data)
    }
}

package struct FixtureError: Error, CustomStringConvertible {
    package var description: String
}
