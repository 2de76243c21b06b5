import Foundation
import GatehouseCore

extension PolicyParser {
    mutating func authentication(_ node: YAMLNode) -> AuthenticationSettings? {
        guard let entries = self.reader.mapping(node, allowed: ["realm", "jwt", "mtls"], what: "authentication") else {
            return nil
        }
        var document = AuthenticationSettings(realm: nil, jwt: [], mtls: nil)
        if let realm = entries["realm"] { document.realm = self.reader.string(realm, what: "authentication.realm") }
        if let jwt = entries["jwt"], let items = self.reader.list(jwt, what: "authentication.jwt") {
            document.jwt = items.compactMap { self.issuer($0) }
        }
        if let mtls = entries["mtls"] { document.mtls = self.mutualTLS(mtls) }
        if entries["jwt"] == nil && entries["mtls"] == nil {
            self.reader.diagnostics.error(
                .missingKey,
                "authentication needs 'jwt' or 'mtls'; remove the section if callers need not authenticate.",
                at: node.location)
        }
        return document
    }

    private static let issuerKeys = [
        "issuer", "audiences", "jwks", "secretFile", "kid", "algorithms", "leeway", "requiredClaims", "maxTokenBytes",
        "from", "forward",
    ]

    private mutating func issuer(_ node: YAMLNode) -> JWTIssuerSettings? {
        guard let entries = self.reader.mapping(node, allowed: Self.issuerKeys, what: "A JWT issuer"),
            let issuerNode = self.reader.require("issuer", in: entries, of: node, what: "A JWT issuer"),
            let issuer = self.reader.string(issuerNode, what: "issuer")
        else { return nil }
        let what = "Issuer '\(issuer)'"
        var document = JWTIssuerSettings(
            issuer: Located(issuer, at: issuerNode.location), audiences: [], keys: .discovery,
            keysLocation: node.location, algorithms: ["RS256"],
            leewaySeconds: 60, requiredClaims: ["exp"], maximumTokenBytes: 8192,
            sources: [.bearerAuthorization], forward: false)
        if let audiences = entries["audiences"], let values = self.reader.strings(audiences, what: "\(what) audiences")
        {
            document.audiences = values.map(\.0)
        }
        switch (entries["jwks"], entries["secretFile"]) {
        case (let jwks?, nil):
            document.keysLocation = jwks.location
            if let keys = self.keySource(jwks, what: what) { document.keys = keys }
        case (nil, let secret?):
            document.keysLocation = secret.location
            if let path = self.reader.string(secret, what: "\(what) secretFile") {
                let keyID = entries["kid"].flatMap { self.keyID($0, what: what) }
                document.keys = .secretFile(self.checkedFile(path, at: secret.location), keyID: keyID)
            }
        case (nil, nil):
            self.reader.diagnostics.error(
                .missingKey, "\(what) needs 'jwks' (or 'secretFile' for HS algorithms).", at: node.location)
        case (_, let secret?):
            self.reader.diagnostics.error(
                .invalidValue, "\(what) has both 'jwks' and 'secretFile'; keep one.", at: secret.location)
        }
        if let kid = entries["kid"], entries["secretFile"] == nil {
            self.reader.diagnostics.error(
                .invalidValue,
                "\(what) has 'kid' without 'secretFile'; 'kid' names the secret of a 'secretFile' (a JWKS names each key's id itself), so remove it or add 'secretFile'.",
                at: kid.location)
        }
        if let node = entries["algorithms"], let values = self.reader.strings(node, what: "\(what) algorithms") {
            document.algorithms = self.algorithms(values, keys: document.keys, what: what)
            self.checkNotMixed(document.algorithms, at: node.location, what: what)
        }
        if let node = entries["leeway"], let seconds = self.duration(node, what: "\(what) leeway") {
            document.leewaySeconds = seconds
        }
        if let node = entries["requiredClaims"], let values = self.reader.strings(node, what: "\(what) requiredClaims")
        {
            document.requiredClaims = values.map(\.0)
        }
        if let node = entries["maxTokenBytes"],
            let value = self.reader.integer(node, in: 256...1_048_576, what: "\(what) maxTokenBytes")
        {
            document.maximumTokenBytes = value
        }
        if let node = entries["from"], let items = self.reader.list(node, what: "\(what) from") {
            document.sources = items.compactMap { self.tokenSource($0) }
        }
        if let node = entries["forward"], let flag = self.reader.bool(node, what: "\(what) forward") {
            document.forward = flag
        }
        return document
    }

    /// The `kid` of a secret file: the key id its tokens name, a non-empty string.
    private mutating func keyID(_ node: YAMLNode, what: String) -> String? {
        guard let keyID = self.reader.string(node, what: "\(what) kid") else { return nil }
        guard !keyID.isEmpty else {
            self.reader.diagnostics.error(
                .invalidValue, "\(what) has an empty 'kid'; write the key id its tokens name, or remove 'kid'.",
                at: node.location)
            return nil
        }
        return keyID
    }

    /// Shared-secret and public-key algorithms never verify the tokens of one issuer together:
    /// what one issuer's `alg` allows must not depend on which kind of key a `kid` finds.
    private mutating func checkNotMixed(_ algorithms: [String], at location: SourceLocation, what: String) {
        let shared = algorithms.filter { JWTIssuerSettings.sharedSecretAlgorithms.contains($0) }
        guard !shared.isEmpty, shared.count < algorithms.count else { return }
        self.reader.diagnostics.error(
            .invalidValue,
            "\(what) mixes shared-secret algorithms (\(shared.joined(separator: ", "))) with public-key ones; list only one kind (HS algorithms need 'secretFile' or a JWKS file).",
            at: location)
    }

    private mutating func keySource(_ node: YAMLNode, what: String) -> JWTIssuerSettings.KeySource? {
        guard let entries = self.reader.mapping(node, allowed: ["file", "url", "discovery"], what: "\(what) jwks")
        else { return nil }
        guard entries.count == 1, let (kind, value) = entries.first else {
            self.reader.diagnostics.error(
                .invalidValue, "\(what) jwks needs exactly one of file, url, discovery.", at: node.location)
            return nil
        }
        switch kind {
        case "file":
            return self.reader.string(value, what: "jwks.file").map { .file(self.checkedFile($0, at: value.location)) }
        case "url":
            guard let url = self.reader.string(value, what: "jwks.url") else { return nil }
            guard JWTIssuerSettings.isAcceptableKeySetURL(url), URL(string: url)?.host != nil else {
                self.reader.diagnostics.error(
                    .invalidValue, "The JWKS URL '\(url)' must be https:// (http:// only on a loopback address).",
                    at: value.location)
                return nil
            }
            return .url(url)
        default:
            guard let flag = self.reader.bool(value, what: "jwks.discovery") else { return nil }
            if !flag {
                self.reader.diagnostics.error(
                    .invalidValue, "jwks.discovery: false names no key source; give a file or url instead.",
                    at: value.location)
            }
            return .discovery
        }
    }

    private mutating func algorithms(
        _ values: [(String, SourceLocation)], keys: JWTIssuerSettings.KeySource, what: String
    ) -> [String] {
        var result: [String] = []
        for (name, location) in values {
            let isShared = JWTIssuerSettings.sharedSecretAlgorithms.contains(name)
            if name.lowercased() == "none" {
                self.reader.diagnostics.error(
                    .invalidValue, "\(what) lists the algorithm '\(name)'; unsigned tokens are never accepted.",
                    at: location)
            } else if !isShared && !JWTIssuerSettings.asymmetricAlgorithms.contains(name) {
                let known = (JWTIssuerSettings.asymmetricAlgorithms + JWTIssuerSettings.sharedSecretAlgorithms).joined(
                    separator: ", ")
                self.reader.diagnostics.error(
                    .invalidValue, "\(what) lists the unknown algorithm '\(name)'; known: \(known).", at: location)
            } else if case .secretFile = keys, !isShared {
                self.reader.diagnostics.error(
                    .invalidValue, "\(what) uses a shared secret, so only HS256/384/512 are allowed, not '\(name)'.",
                    at: location)
            } else if isShared, !keys.mayHoldSecrets {
                self.reader.diagnostics.error(
                    .invalidValue,
                    "\(what) lists '\(name)', a shared-secret algorithm, with a key set fetched from a URL, which anyone may read; keep HS secrets in a 'secretFile' or a JWKS 'file'.",
                    at: location)
            } else {
                result.append(name)
            }
        }
        return result
    }

    private mutating func tokenSource(_ node: YAMLNode) -> TokenLocation? {
        guard
            let entries = self.reader.mapping(
                node, allowed: ["header", "scheme", "cookie", "query"], what: "A token source")
        else { return nil }
        let kinds = entries.keys.filter { $0 != "scheme" }
        guard kinds.count == 1, let kind = kinds.first, let valueNode = entries[kind],
            let name = self.reader.string(valueNode, what: kind)
        else {
            self.reader.diagnostics.error(
                .invalidValue, "A token source needs exactly one of header, cookie, query.", at: node.location)
            return nil
        }
        let scheme = entries["scheme"].flatMap { self.reader.string($0, what: "scheme") }
        if scheme != nil, kind != "header" {
            self.reader.diagnostics.error(
                .invalidValue, "'scheme' applies only to a header token source.", at: node.location)
        }
        switch kind {
        case "header": return TokenLocation(.header(ASCII.lowercased(name)), scheme: scheme)
        case "cookie": return TokenLocation(.cookie(name))
        default: return TokenLocation(.query(name))
        }
    }

    /// Seconds from `90`, `90s`, `5m` or `1h`, at most an hour.
    private mutating func duration(_ node: YAMLNode, what: String) -> Int? {
        guard let text = self.reader.string(node, what: what) else { return nil }
        guard let duration = DurationText.parse(text, maximum: .seconds(3600)), !text.hasSuffix("ms") else {
            self.reader.diagnostics.error(
                .invalidValue, "\(what) '\(text)' is not a duration up to 1h; write e.g. 60s or 2m.", at: node.location)
            return nil
        }
        return Int(duration.components.seconds)
    }

    private mutating func mutualTLS(_ node: YAMLNode) -> MutualTLSSettings? {
        let keys = [
            "trustBundle", "trustDomain", "crls", "trustEnvoyPrincipal", "listenerPeer", "invalidCertificateStatus",
            "xroad",
        ]
        guard let entries = self.reader.mapping(node, allowed: keys, what: "authentication.mtls") else { return nil }
        var document = MutualTLSSettings(
            trustBundle: nil, trustDomain: nil, crls: [], trustEnvoyPrincipal: false, invalidCertificateStatus: 401,
            xroad: [], location: node.location)
        if let node = entries["trustBundle"], let path = self.reader.string(node, what: "trustBundle") {
            document.trustBundle = Located(self.checkedFile(path, at: node.location), at: node.location)
        }
        if let node = entries["trustDomain"], let domain = self.reader.string(node, what: "trustDomain") {
            if domain.isEmpty || domain.contains("/") || domain.contains(":") || ASCII.lowercased(domain) != domain {
                self.reader.diagnostics.error(
                    .invalidValue,
                    "The trust domain '\(domain)' must be a lower-case name without scheme or path, e.g. 'gov.example'.",
                    at: node.location)
            }
            document.trustDomain = domain
        }
        if let node = entries["crls"], let values = self.reader.strings(node, what: "crls") {
            document.crls = values.map { Located(self.checkedFile($0.0, at: $0.1), at: $0.1) }
        }
        if let node = entries["trustEnvoyPrincipal"], let flag = self.reader.bool(node, what: "trustEnvoyPrincipal") {
            document.trustEnvoyPrincipal = flag
        }
        if let node = entries["listenerPeer"], let flag = self.reader.bool(node, what: "listenerPeer") {
            if flag, entries["trustBundle"] == nil {
                self.reader.diagnostics.error(
                    .missingKey,
                    "listenerPeer needs 'trustBundle': the listener peer's chain is verified against the policy's own trust bundle.",
                    at: node.location)
            }
            document.listenerPeer = flag
        }
        if let node = entries["invalidCertificateStatus"],
            let status = self.reader.integer(node, in: 401...403, what: "invalidCertificateStatus")
        {
            if status == 402 {
                self.reader.diagnostics.error(
                    .invalidValue, "invalidCertificateStatus must be 401 or 403.", at: node.location)
            }
            document.invalidCertificateStatus = UInt16(status)
        }
        if let node = entries["xroad"], let items = self.reader.list(node, what: "mtls.xroad") {
            document.xroad = items.compactMap { self.xroadMapping($0) }
        }
        return document
    }

    private mutating func xroadMapping(_ node: YAMLNode) -> XRoadMapping? {
        guard let entries = self.reader.mapping(node, allowed: ["subject", "uriSAN"], what: "An X-Road mapping"),
            entries.count == 1
        else {
            self.reader.diagnostics.error(
                .invalidValue, "An X-Road mapping needs exactly one of subject, uriSAN.", at: node.location)
            return nil
        }
        if let pattern = entries["uriSAN"] {
            guard let text = self.reader.string(pattern, what: "uriSAN") else { return nil }
            for part in ["{instance}", "{memberClass}", "{memberCode}"] where !text.contains(part) {
                self.reader.diagnostics.error(
                    .badPattern, "The uriSAN pattern '\(text)' must contain \(part).", at: pattern.location)
            }
            return .uriSAN(text)
        }
        guard let subjectNode = entries["subject"],
            let subject = self.reader.mapping(
                subjectNode, allowed: ["instance", "memberClass", "memberCode", "subsystem"],
                what: "An X-Road subject mapping")
        else { return nil }
        var parts: [String: String] = [:]
        for key in ["instance", "memberClass", "memberCode", "subsystem"] {
            guard let node = subject[key] else {
                if key != "subsystem" {
                    self.reader.diagnostics.error(
                        .missingKey, "An X-Road subject mapping needs '\(key)'.", at: subjectNode.location)
                }
                continue
            }
            guard let text = self.reader.string(node, what: key) else { continue }
            for placeholder in Self.placeholders(in: text)
            where !XRoadMapping.subjectAttributes.contains(placeholder) {
                let known = XRoadMapping.subjectAttributes.joined(separator: ", ")
                self.reader.diagnostics.error(
                    .unknownAttribute,
                    "The X-Road mapping '\(text)' names the unknown subject attribute '\(placeholder)'; known: \(known).",
                    at: node.location)
            }
            parts[key] = text
        }
        guard let instance = parts["instance"], let memberClass = parts["memberClass"],
            let memberCode = parts["memberCode"]
        else { return nil }
        return .subject(
            instance: instance, memberClass: memberClass, memberCode: memberCode, subsystem: parts["subsystem"])
    }

    private static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            names.append(String(rest[open.upperBound..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// Resolves `path` against the policy file's directory and reports it when it does not exist.
    mutating func checkedFile(_ path: String, at location: SourceLocation) -> String {
        let directory = (location.file as NSString).deletingLastPathComponent
        let resolved = path.hasPrefix("/") ? path : (directory.isEmpty ? path : directory + "/" + path)
        if self.checksFiles, !FileManager.default.fileExists(atPath: resolved) {
            self.reader.diagnostics.error(
                .missingFile,
                "The file '\(path)' (resolved to '\(resolved)') does not exist; paths are relative to the policy file.",
                at: location)
        }
        return resolved
    }
}
