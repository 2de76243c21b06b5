import Foundation
import GatehouseCore
import SwiftASN1
import X509

/// A verifier policy whose every failure has a stable code.
///
/// swift-certificates reports a failed chain with free text; Gatehouse needs one code per
/// rejection, so each check is a pure function of the chain that names its problem, and the
/// `VerifierPolicy` conformance is derived from it (so the checks also plug into the library's
/// `Verifier`). ``CertificatePathBuilder`` calls ``problem(in:)`` directly.
protocol CodedVerifierPolicy: VerifierPolicy, Sendable {
    /// The first problem with `chain` (leaf first, root last, never empty), or `nil` when it meets the policy.
    func problem(in chain: [Certificate]) -> CertificateProblem?
}

extension CodedVerifierPolicy {
    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        guard let problem = self.problem(in: Array(chain)) else { return .meetsPolicy }
        return .failsToMeetPolicy(reason: "\(problem.code): \(problem.message)")
    }
}

/// Everything a client certificate chain must satisfy, in the order problems are reported:
/// validity at the request time, RFC 5280 path rules (structure, then name constraints), leaf
/// not a CA, client-auth usage, revocation.
///
/// The RFC 5280 rules are Gatehouse's own policies, not swift-certificates' `RFC5280Policy`,
/// where the library decides differently from the RFC: it compares `notAfter` with the request's
/// fractions of a second, ignores key usage (`keyCertSign`) entirely, and refuses every chain
/// with an RFC 822 name constraint.
struct ClientCertificatePolicy: CodedVerifierPolicy {
    /// The extensions this policy enforces, so the verifier accepts them when critical; a
    /// certificate marking any other extension critical is rejected.
    static let enforcedExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.basicConstraints, .X509ExtensionID.nameConstraints, .X509ExtensionID.keyUsage,
        .X509ExtensionID.extendedKeyUsage, .X509ExtensionID.subjectAlternativeName,
    ]

    let verifyingCriticalExtensions = Self.enforcedExtensions
    private let validity: ValidityPeriodPolicy
    private let structure = PathStructurePolicy()
    private let names = NameConstraintsPolicy()
    private let leafIsNotCA = LeafIsNotCAPolicy()
    private let usage = ClientAuthenticationUsagePolicy()
    private let revocation: RevocationPolicy

    /// The policy at the request time `time`, never the wall clock.
    init(time: UnixTime, revocation: RevocationPolicy.Index) {
        self.validity = ValidityPeriodPolicy(time: time)
        self.revocation = RevocationPolicy(index: revocation, time: time)
    }

    func problem(in chain: [Certificate]) -> CertificateProblem? {
        self.validity.problem(in: chain) ?? self.structure.problem(in: chain) ?? self.names.problem(in: chain)
            ?? self.leafIsNotCA.problem(in: chain) ?? self.usage.problem(in: chain)
            ?? self.revocation.problem(in: chain)
    }
}

/// Every certificate of the chain is valid at the request time, at the certificate's own
/// one-second precision.
///
/// X.509 times are whole seconds (RFC 5280 §4.1.2.5 forbids fractions), and `notAfter` is the
/// last second of validity, inclusive: a request 5 ms into that second is still within it.
/// swift-certificates compares the request's fractions of a second and would call it expired.
struct ValidityPeriodPolicy: CodedVerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []
    let time: UnixTime

    func problem(in chain: [Certificate]) -> CertificateProblem? {
        let now = self.time.seconds
        for (index, certificate) in chain.enumerated() {
            let isLeaf = index == 0
            if now < UnixTime(certificate.notValidBefore).seconds {
                return CertificateProblem(
                    isLeaf ? .certificateNotYetValid : .certificateChainExpired,
                    "\(isLeaf ? "The client certificate" : "The issuing CA certificate") \(certificate.displayName) is not valid before \(certificate.notValidBefore.ISO8601Format())."
                )
            }
            if now > UnixTime(certificate.notValidAfter).seconds {
                return CertificateProblem(
                    isLeaf ? .certificateExpired : .certificateChainExpired,
                    "\(isLeaf ? "The client certificate" : "The issuing CA certificate") \(certificate.displayName) expired at \(certificate.notValidAfter.ISO8601Format())."
                )
            }
        }
        return nil
    }
}

/// The client certificate is an end entity: basic constraints, when present, say `cA: false`.
struct LeafIsNotCAPolicy: CodedVerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.basicConstraints]

    func problem(in chain: [Certificate]) -> CertificateProblem? {
        switch chain[0].isCertificateAuthority {
        case false?: nil
        case true?:
            CertificateProblem(
                .certificateIsCA,
                "The client certificate \(chain[0].displayName) is a CA certificate; clients must use end-entity certificates."
            )
        case nil:
            CertificateProblem(
                .certificateMalformed,
                "The client certificate \(chain[0].displayName) has unreadable basic constraints.")
        }
    }
}

/// The client certificate may authenticate a TLS client: extended key usage, when present,
/// lists `clientAuth` (`anyExtendedKeyUsage` is not enough), and key usage, when present,
/// allows `digitalSignature` and, the leaf not being a CA, not `keyCertSign` (RFC 5280 §4.2.1.3:
/// "If the keyCertSign bit is asserted, then the cA bit in the basic constraints extension
/// MUST also be asserted"; swift-certificates does not read key usage).
struct ClientAuthenticationUsagePolicy: CodedVerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.keyUsage, .X509ExtensionID.extendedKeyUsage,
    ]

    func problem(in chain: [Certificate]) -> CertificateProblem? {
        let leaf = chain[0]
        let extendedUsage: ExtendedKeyUsage?
        let usage: KeyUsage?
        do {
            extendedUsage = try leaf.extensions.extendedKeyUsage
            usage = try leaf.extensions.keyUsage
        } catch {
            return CertificateProblem(
                .certificateMalformed,
                "The client certificate \(leaf.displayName) has an unreadable key usage extension.")
        }
        if let extendedUsage, !extendedUsage.contains(.clientAuth) {
            return CertificateProblem(
                .certificateUsageInvalid,
                "The client certificate \(leaf.displayName) has extended key usage without clientAuth (it has \(extendedUsage))."
            )
        }
        if let usage, !usage.digitalSignature {
            return CertificateProblem(
                .certificateUsageInvalid,
                "The client certificate \(leaf.displayName) has key usage without digitalSignature (it has \(usage)).")
        }
        if let usage, usage.keyCertSign, leaf.isCertificateAuthority == false {
            return CertificateProblem(
                .certificateKeyCertSignWithoutCA,
                "The client certificate \(leaf.displayName) is not a CA but its key usage allows keyCertSign; RFC 5280 allows that only to CA certificates."
            )
        }
        return nil
    }
}
