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
    ///     was skipped (too short, `use: enc`, …): an ``IdentityError/Code/keySkipped`` error
    ///     with the policy line naming the file.
    /// - Throws: ``IdentityError/Code/loadFailed`` with every file that cannot be used in
    ///   ``IdentityError/problems``, each with the policy line naming it; nothing is activated then.
    package static func load(
        _ authentication: [AuthenticationSettings?],
        keySets: KeySetRegistry,
        warn: (IdentityError) -> Void = { _ in }
    ) throws(IdentityError) -> PolicyAuthenticators {
        var problems: [IdentityError] = []
        var byPolicy: [PolicyAuthenticator?] = []
        var fileKeySets: [String: KeySet] = [:]
        for settings in authentication {
            guard let settings else {
                byPolicy.append(nil)
                continue
            }
            var issuers: [IssuerSettings] = []
            for issuer in settings.jwt {
                do throws(IdentityError) {
                    let keys = try Self.keys(for: issuer, files: &fileKeySets, registry: keySets, warn: warn)
                    issuers.append(IssuerSettings(settings: issuer, keys: keys))
                } catch {
                    problems.append(error)
                }
            }
            var certificates: ClientCertificateVerifier?
            if let mtls = settings.mtls {
                do throws(IdentityError) {
                    certificates = try ClientCertificateVerifier(settings: mtls)
                } catch {
                    problems.append(error)
                }
            }
            byPolicy.append(
                PolicyAuthenticator(
                    tokens: issuers.isEmpty ? nil : TokenVerifier(issuers: issuers), certificates: certificates,
                    trustsEnvoyPrincipal: settings.mtls?.trustEnvoyPrincipal ?? false,
                    acceptsListenerPeer: settings.mtls?.listenerPeer ?? false))
        }
        guard problems.isEmpty else {
            let count = problems.count == 1 ? "One identity file" : "\(problems.count) identity files"
            throw IdentityError(
                code: .loadFailed,
                message: "\(count) named by the policies cannot be used; fix each problem listed and load again.",
                problems: problems)
        }
        return PolicyAuthenticators(byPolicy: byPolicy)
    }

    private static func keys(
        for issuer: JWTIssuerSettings,
        files: inout [String: KeySet],
        registry: KeySetRegistry,
        warn: (IdentityError) -> Void
    ) throws(IdentityError) -> any KeySetProvider {
        switch issuer.keys {
        case .url(let url): return registry.keySet(for: .jwks(url: url))
        case .discovery: return registry.keySet(for: .discovery(issuer: issuer.issuer.value))
        case .file(let path):
            if let loaded = files[path] { return StaticKeySet(loaded) }
            let bytes = try Self.read(path, what: "JWKS file", at: issuer.keysLocation)
            do throws(IdentityError) {
                let keys = try KeySet.parse(jwks: bytes, origin: path, source: .file)
                for warning in keys.warnings {
                    warn(IdentityError(code: .keySkipped, message: warning, location: issuer.keysLocation))
                }
                files[path] = keys
                return StaticKeySet(keys)
            } catch {
                throw error.at(issuer.keysLocation)
            }
        case .secretFile(let path, let keyID):
            var bytes = try Self.read(path, what: "secret file", at: issuer.keysLocation)
            // Editors add a final newline; it is not part of the secret.
            while bytes.last == 0x0A || bytes.last == 0x0D { bytes.removeLast() }
            do throws(IdentityError) {
                return StaticKeySet(try KeySet.sharedSecret(bytes, origin: path, keyID: keyID))
            } catch {
                throw error.at(issuer.keysLocation)
            }
        }
    }

    private static func read(_ path: String, what: String, at location: SourceLocation)
        throws(IdentityError)
        -> [UInt8]
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IdentityError(
                code: .fileUnreadable,
                message:
                    "The \(what) '\(path)' cannot be read; check the path (relative to the policy file) and its permissions.",
                location: location)
        }
        return Array(data)
    }
}

extension IdentityError {
    /// The same error at the policy line naming the file it is about.
    fileprivate func at(_ location: SourceLocation) -> IdentityError {
        var located = self
        located.location = location
        return located
    }
}
