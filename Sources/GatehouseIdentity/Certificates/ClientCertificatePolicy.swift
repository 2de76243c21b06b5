import Foundation
import GatehouseCore
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// A verifier policy whose every failure has a stable code.
///
/// swift-certificates reports a failed chain with free text; Gatehouse needs one code per
/// rejection, so each check is a pure function of the chain that names its problem, and the
/// `VerifierPolicy` conformance is derived from it. The same function classifies a chain the
/// verifier rejected.
protocol CodedVerifierPolicy: VerifierPolicy, Sendable {
    /// The first problem with `chain` (leaf first, root last), or `nil` when it meets the policy.
    func problem(in chain: UnverifiedCertificateChain) -> CertificateProblem?
}

extension CodedVerifierPolicy {
    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        guard let problem = self.problem(in: chain) else { return .meetsPolicy }
        return .failsToMeetPolicy(reason: "\(problem.code): \(problem.message)")
    }
}

/// Everything a client certificate chain must satisfy, in the order problems are reported:
/// validity at the request time, RFC 5280 path rules, leaf not a CA, client-auth usage, revocation.
struct ClientCertificatePolicy: CodedVerifierPolicy {
    /// The extensions this policy enforces, so the verifier accepts them when critical; a
    /// certificate marking any other extension critical is rejected.
    static let enforcedExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.basicConstraints, .X509ExtensionID.nameConstraints, .X509ExtensionID.keyUsage,
        .X509ExtensionID.extendedKeyUsage, .X509ExtensionID.subjectAlternativeName,
    ]

    let verifyingCriticalExtensions = Self.enforcedExtensions
    private let validity: ValidityPeriodPolicy
    private let rfc5280: RFC5280Policy
    private let leafIsNotCA = LeafIsNotCAPolicy()
    private let usage = ClientAuthenticationUsagePolicy()
    private let revocation: RevocationPolicy

    /// The policy at the request time `time`, never the wall clock.
    init(time: UnixTime, revocation: RevocationPolicy.Index) {
        self.validity = ValidityPeriodPolicy(time: time)
        self.rfc5280 = RFC5280Policy(fixedExpiryValidationTime: time.date)
        self.revocation = RevocationPolicy(index: revocation, time: time)
    }

    func problem(in chain: UnverifiedCertificateChain) -> CertificateProblem? {
        if let problem = self.validity.problem(in: chain) { return problem }
        if case .failsToMeetPolicy(let reason) = self.rfc5280.chainMeetsPolicyRequirements(chain: chain) {
            return CertificateProblem(
                .certificateChainInvalid,
                "The chain of \(chain.leaf.displayName) breaks RFC 5280: \(Quoted(reason.description)).")
        }
        return self.leafIsNotCA.problem(in: chain) ?? self.usage.problem(in: chain)
            ?? self.revocation.problem(in: chain)
    }
}

/// Every certificate of the chain is valid at the request time.
struct ValidityPeriodPolicy: CodedVerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []
    let time: UnixTime

    func problem(in chain: UnverifiedCertificateChain) -> CertificateProblem? {
        let now = self.time.date
        for (index, certificate) in chain.enumerated() {
            let isLeaf = index == 0
            if now < certificate.notValidBefore {
                return CertificateProblem(
                    isLeaf ? .certificateNotYetValid : .certificateChainExpired,
                    "\(isLeaf ? "The client certificate" : "The issuing CA certificate") \(certificate.displayName) is not valid before \(certificate.notValidBefore.ISO8601Format())."
                )
            }
            if now > certificate.notValidAfter {
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

    func problem(in chain: UnverifiedCertificateChain) -> CertificateProblem? {
        switch chain.leaf.isCertificateAuthority {
        case false?: nil
        case true?:
            CertificateProblem(
                .certificateIsCA,
                "The client certificate \(chain.leaf.displayName) is a CA certificate; clients must use end-entity certificates."
            )
        case nil:
            CertificateProblem(
                .certificateMalformed,
                "The client certificate \(chain.leaf.displayName) has unreadable basic constraints.")
        }
    }
}

/// The client certificate may authenticate a TLS client: extended key usage, when present,
/// lists `clientAuth` (`anyExtendedKeyUsage` is not enough), and key usage, when present,
/// allows `digitalSignature`.
struct ClientAuthenticationUsagePolicy: CodedVerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.keyUsage, .X509ExtensionID.extendedKeyUsage,
    ]

    func problem(in chain: UnverifiedCertificateChain) -> CertificateProblem? {
        let leaf = chain.leaf
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
        return nil
    }
}
