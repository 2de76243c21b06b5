package import GatehouseCore

/// Verifies a bundle's detached signatures (compact JWS, RFC 7515 §7.1) against the server's
/// bundle keys, with the same strict decoding as bearer tokens (``CompactJWS``, ``StrictJSON``,
/// ``Base64URL``) and the same signature code (``VerificationKey/isValidSignature(_:for:algorithm:)``).
///
/// What it accepts, and why:
/// - **Algorithms:** `EdDSA` (Ed25519) and `ES256` (P-256, raw `r||s`) only. `none` in any
///   spelling, HS*, RS*, PS* and ES384 are refused before any key is looked at, so a shared
///   secret or a public key's bytes can never act as an HMAC key (`signature_algorithm_refused`).
/// - **Keys:** only the configured JWKS; `jku`, `jwk`, `x5u` and `x5c` headers are ignored. Every
///   key must be an Ed25519 or P-256 public key with its own `kid` (several, to rotate keys);
///   anything else refuses the whole key set when it is loaded, so a mistake shows at start-up
///   rather than as a bundle that never verifies.
/// - **Key choice:** the header's `kid` selects the key (compared exactly, as RFC 7515 §4.1.4
///   keys are case-sensitive); it must also verify the header's `alg`, so an `ES256` header
///   naming an Ed25519 key is `signature_unknown_key`. A header *without* `kid` is verified
///   only when exactly one configured key can verify its `alg`; with several it is
///   `signature_key_ambiguous` (sign with `--kid`), never "try each until one fits".
/// - **Headers:** `crit` is refused (`signature_crit_unsupported`): no extension, `b64: false` included, is implemented.
/// - **Payload:** returned as bytes, unparsed; an empty (detached) payload is `signature_malformed`.
///
/// ```swift
/// let verifier = try JWSBundleVerifier(jwks: Array(jwksFileBytes), origin: "keys/bundles.jwks")
/// switch verifier.verify(compactJWS: signature) {
/// case .verified(let keyID, let payload): manifest = try parse(payload)  // signed by keyID
/// case .refused(let code, let message): throw failure(code, message)
/// }
/// ```
package struct JWSBundleVerifier: BundleSignatureVerifier {
    /// The longest signature read: a payload lists a bundle's files with their hashes, so even
    /// 100,000 files stay well below this.
    package static let maximumSignatureBytes = 32 << 20

    /// The JWKS file or URL the keys came from, for messages.
    package let origin: String
    /// The key ids, in the key set's order.
    package var keyIDs: [String] { self.keys.map(\.id) }

    private let keys: [(id: String, key: VerificationKey)]

    /// Loads the bundle keys from a JWKS document.
    ///
    /// - Parameters:
    ///   - jwks: The JWKS document's bytes (`{"keys":[...]}`).
    ///   - origin: The file or URL it came from, for messages.
    /// - Throws: ``IdentityError`` with ``IdentityError/Code/keySetInvalid`` when the document is
    ///   not a JWKS, ``IdentityError/Code/keySetHasNoUsableKey`` when it holds no key, or
    ///   ``IdentityError/Code/bundleKeySetInvalid`` when a key is not an Ed25519 or P-256 public
    ///   key, has no `kid`, shares its `kid`, holds private members or is malformed.
    package init(jwks: [UInt8], origin: String) throws(IdentityError) {
        let set = try KeySet.parse(jwks: jwks, origin: origin, source: .file)
        // The warnings are skipped keys and published private members: each is a mistake in a
        // set that decides which policy every server enforces, so none is let through.
        guard set.warnings.isEmpty else {
            throw Self.invalid(origin, set.warnings.joined(separator: "; "))
        }
        var keys: [(id: String, key: VerificationKey)] = []
        for (index, key) in set.keys.enumerated() {
            switch key.material {
            case .ed25519, .p256: break
            case .sharedSecret:
                throw Self.invalid(
                    origin, "key \(index) is a shared secret ('oct'), and bundle signatures are never HMAC")
            case .rsa, .p384:
                throw Self.invalid(origin, "key \(index) is neither Ed25519 nor P-256")
            }
            guard let keyID = key.keyID, !keyID.isEmpty else {
                throw Self.invalid(origin, "key \(index) has no 'kid', so no signature could name it")
            }
            guard !keys.contains(where: { $0.id == keyID }) else {
                throw Self.invalid(origin, "the 'kid' '\(keyID)' names two keys")
            }
            keys.append((keyID, key))
        }
        self.origin = origin
        self.keys = keys
    }

    /// Verifies one compact JWS over a bundle's signed payload.
    ///
    /// - Returns: ``BundleSignatureVerification/verified(keyID:payload:)`` with the payload's
    ///   bytes, or ``BundleSignatureVerification/refused(code:message:)`` with one of the codes of
    ///   ``BundleSignatureRefusal``.
    package func verify(compactJWS: String) -> BundleSignatureVerification {
        do throws(BundleSignatureRefusal) {
            let (keyID, payload) = try self.verified(compactJWS)
            return .verified(keyID: keyID, payload: payload)
        } catch {
            return .refused(code: error.code, message: error.message)
        }
    }

    private func verified(_ text: String) throws(BundleSignatureRefusal) -> (String, [UInt8]) {
        guard text.utf8.count <= Self.maximumSignatureBytes else {
            throw Self.malformed("is longer than the \(Self.maximumSignatureBytes) bytes read")
        }
        let jws: CompactJWS
        let header: [String: ClaimValue]
        do throws(TokenRejection) {
            jws = try CompactJWS(Substring(text))
            header = try jws.header()
        } catch {
            throw Self.malformed(
                "is not a compact JWS whose header is a base64url JSON object without repeated members")
        }
        let algorithm = try Self.algorithm(in: header)
        guard header["crit"] == nil else {
            throw BundleSignatureRefusal(
                BundleSignatureRefusal.criticalHeader,
                "The bundle signature's header lists critical extensions ('crit'); none are supported, so sign without them."
            )
        }
        guard let payload = jws.payloadBytes() else { throw Self.malformed("has a payload that is not base64url") }
        guard !payload.isEmpty else {
            throw Self.malformed("has an empty (detached) payload; sign the payload itself")
        }
        guard let signature = Base64URL.decode(jws.bytes[(jws.secondDot + 1)...]),
            signature.count == algorithm.fixedSignatureLength
        else {
            throw Self.malformed(
                "has a signature of the wrong length or encoding for \(algorithm.rawValue) (truncated, or ECDSA in DER instead of r||s)"
            )
        }
        // The form is checked before the key is looked up: a malformed signature says so whatever its kid.
        let (keyID, key) = try self.key(for: header, algorithm: algorithm)
        guard key.isValidSignature(signature, for: jws.signingInput, algorithm: algorithm) else {
            throw BundleSignatureRefusal(
                BundleSignatureRefusal.invalid,
                "The bundle signature does not verify under key '\(keyID)' of '\(self.origin)'; the bundle or its signature was changed after signing, or it was signed with another key under that id."
            )
        }
        return (keyID, payload)
    }

    /// The header's `alg`, when it is one bundles may use.
    private static func algorithm(in header: [String: ClaimValue]) throws(BundleSignatureRefusal) -> JWSAlgorithm {
        guard case .string(let name)? = header["alg"] else { throw Self.malformed("has no 'alg' string in its header") }
        guard let algorithm = JWSAlgorithm(rawValue: name), algorithm == .edDSA || algorithm == .es256 else {
            // The name is a short header value the signer chose; quoting it helps whoever signed.
            let shown = name.count <= 16 ? "'\(name)'" : "not one Gatehouse knows"
            throw BundleSignatureRefusal(
                BundleSignatureRefusal.algorithmRefused,
                "The bundle signature's algorithm is \(shown); bundles are signed with EdDSA (Ed25519) or ES256 (P-256) only."
            )
        }
        return algorithm
    }

    /// The key named by the header's `kid`, or the only key for `algorithm` when there is no `kid`.
    private func key(
        for header: [String: ClaimValue], algorithm: JWSAlgorithm
    ) throws(BundleSignatureRefusal) -> (String, VerificationKey) {
        switch header["kid"] {
        case .string(let keyID)?:
            guard let found = self.keys.first(where: { $0.id == keyID }) else {
                throw BundleSignatureRefusal(
                    BundleSignatureRefusal.unknownKey,
                    "The bundle signature names key '\(Self.shown(keyID))', which '\(self.origin)' does not hold (it has \(self.keyList)); add the signer's public key to the bundle keys."
                )
            }
            guard found.key.isUsable(for: algorithm) else {
                throw BundleSignatureRefusal(
                    BundleSignatureRefusal.unknownKey,
                    "The bundle signature names key '\(found.id)' of '\(self.origin)' with algorithm \(algorithm.rawValue), which that key does not verify; sign with the algorithm of its type (Ed25519: EdDSA, P-256: ES256)."
                )
            }
            return found
        case nil:
            let usable = self.keys.filter { $0.key.isUsable(for: algorithm) }
            guard usable.count <= 1 else {
                throw BundleSignatureRefusal(
                    BundleSignatureRefusal.ambiguousKey,
                    "The bundle signature has no 'kid' and '\(self.origin)' holds \(usable.count) \(algorithm.rawValue) keys; sign with a key id."
                )
            }
            guard let only = usable.first else {
                throw BundleSignatureRefusal(
                    BundleSignatureRefusal.unknownKey,
                    "The bundle signature has no 'kid' and '\(self.origin)' holds no \(algorithm.rawValue) key; add the signer's public key to the bundle keys."
                )
            }
            return only
        default:
            throw Self.malformed("has a 'kid' header that is not a string")
        }
    }

    private var keyList: String { self.keys.map { "'\($0.id)'" }.joined(separator: ", ") }

    /// A key id from an unverified header, quoted only when short and printable.
    private static func shown(_ keyID: String) -> String {
        keyID.count <= 64 && keyID.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F })
            ? keyID : "(unprintable or longer than 64 characters)"
    }

    private static func malformed(_ clause: String) -> BundleSignatureRefusal {
        BundleSignatureRefusal(BundleSignatureRefusal.malformed, "The bundle signature \(clause).")
    }

    private static func invalid(_ origin: String, _ clause: String) -> IdentityError {
        IdentityError(
            code: .bundleKeySetInvalid,
            message:
                "The bundle key set '\(origin)' cannot be used: \(clause). Publish only Ed25519 or P-256 public keys, each with its own 'kid'."
        )
    }
}
