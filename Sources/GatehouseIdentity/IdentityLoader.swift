import Foundation
package import GatehouseCore

/// Builds a revision's ``PolicyAuthenticators`` from its policies' authentication settings: reads JWKS, secret,
/// trust-bundle and CRL files, and takes URL key sets from the ``KeySetRegistry`` (shared by
/// every policy naming the same URL, and kept across revisions).
package enum IdentityLoader {
    /// - Parameters:
    ///   - authentication: Each policy's settings, indexed like ``DecisionTree/policies``; `nil`
    ///     for a policy without an `authentication` section (its callers are anonymous).
    ///   - warn: Receives each key a JWKS file holds that cannot verify signatures and
    ///     was skipped (too short, `use: enc`, …), with the policy line naming the file.
    /// - Throws: Every file that cannot be used, each with the policy line naming it; nothing is activated then.
    package static func load(
        _ authentication: [AuthenticationSettings?],
        keySets: KeySetRegistry,
        warn: (IdentityConfigurationError) -> Void = { _ in }
    ) throws(IdentityLoadError) -> PolicyAuthenticators {
        var problems: [IdentityConfigurationError] = []
        var byPolicy: [PolicyAuthenticator?] = []
        var fileKeySets: [String: KeySet] = [:]
        for settings in authentication {
            guard let settings else {
                byPolicy.append(nil)
                continue
            }
            var issuers: [IssuerSettings] = []
            for issuer in settings.jwt {
                do throws(IdentityConfigurationError) {
                    let keys = try Self.keys(for: issuer, files: &fileKeySets, registry: keySets, warn: warn)
                    issuers.append(IssuerSettings(settings: issuer, keys: keys))
                } catch {
                    problems.append(error)
                }
            }
            var certificates: ClientCertificateVerifier?
            if let mtls = settings.mtls {
                do throws(IdentityConfigurationError) {
                    certificates = try ClientCertificateVerifier(settings: mtls)
                } catch {
                    problems.append(error)
                }
            }
            byPolicy.append(
                PolicyAuthenticator(
                    tokens: issuers.isEmpty ? nil : TokenVerifier(issuers: issuers), certificates: certificates,
                    trustsEnvoyPrincipal: settings.mtls?.trustEnvoyPrincipal ?? false))
        }
        guard problems.isEmpty else { throw IdentityLoadError(problems: problems) }
        return PolicyAuthenticators(byPolicy: byPolicy)
    }

    private static func keys(
        for issuer: JWTIssuerSettings,
        files: inout [String: KeySet],
        registry: KeySetRegistry,
        warn: (IdentityConfigurationError) -> Void
    ) throws(IdentityConfigurationError) -> any KeySetProvider {
        switch issuer.keys {
        case .url(let url): return registry.keySet(for: .jwks(url: url))
        case .discovery: return registry.keySet(for: .discovery(issuer: issuer.issuer.value))
        case .file(let path):
            if let loaded = files[path] { return StaticKeySet(loaded) }
            let bytes = try Self.read(path, what: "JWKS file", at: issuer.keysLocation)
            do {
                let keys = try KeySet.parse(jwks: bytes, origin: path)
                for warning in keys.warnings { warn(IdentityConfigurationError(warning, at: issuer.keysLocation)) }
                files[path] = keys
                return StaticKeySet(keys)
            } catch {
                throw IdentityConfigurationError("\(error)", at: issuer.keysLocation)
            }
        case .secretFile(let path):
            var bytes = try Self.read(path, what: "secret file", at: issuer.keysLocation)
            // Editors add a final newline; it is not part of the secret.
            while bytes.last == 0x0A || bytes.last == 0x0D { bytes.removeLast() }
            do {
                return StaticKeySet(try KeySet.sharedSecret(bytes, origin: path))
            } catch {
                throw IdentityConfigurationError("\(error)", at: issuer.keysLocation)
            }
        }
    }

    private static func read(_ path: String, what: String, at location: SourceLocation)
        throws(IdentityConfigurationError)
        -> [UInt8]
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IdentityConfigurationError(
                "The \(what) '\(path)' cannot be read; check the path (relative to the policy file) and its permissions.",
                at: location)
        }
        return Array(data)
    }
}

/// Every identity file of a revision that could not be loaded.
package struct IdentityLoadError: Error, CustomStringConvertible {
    /// One entry per problem, sorted by location.
    package var problems: [IdentityConfigurationError]

    package var description: String { self.problems.map(\.description).joined(separator: "\n") }
}
