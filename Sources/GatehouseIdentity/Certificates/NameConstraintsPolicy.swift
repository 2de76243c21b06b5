import GatehouseCore
import SwiftASN1
import X509

/// RFC 5280 §4.2.1.10 name constraints: every CA's permitted and excluded subtrees apply to the
/// names of each certificate below it.
///
/// The names of a certificate are its subject alternative names and, as RFC 822 names, the
/// `emailAddress` attributes of its subject (as OpenSSL checks them). For each name form a CA
/// constrains, a name must lie in one of its permitted subtrees of that form and in none of
/// its excluded ones. DNS names, IP addresses, URIs (by host) and RFC 822 names are evaluated
/// (``GeneralNameMatching``); a CA constraining another form (directory names, other names) makes
/// the chain invalid, since RFC 5280 requires rejecting what cannot be processed. The subject
/// names of self-issued intermediates are exempt (§6.1.3 (b)).
///
/// swift-certificates' `RFC5280Policy` refuses every chain whose CA has an RFC 822 constraint
/// and lets URI constraints without a leading period match subdomains, so Gatehouse applies
/// this policy instead.
struct NameConstraintsPolicy: CodedVerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.nameConstraints]

    /// The most name-to-subtree comparisons for one chain; more makes it invalid rather than slow.
    static let maximumComparisons = 65_536

    private static let emailAddress: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 9, 1]

    func problem(in chain: [Certificate]) -> CertificateProblem? {
        var comparisons = 0
        for issuerIndex in stride(from: chain.count - 1, to: 0, by: -1) {
            let issuer = chain[issuerIndex]
            let constraints: NameConstraints?
            do {
                constraints = try issuer.extensions.nameConstraints
            } catch {
                return self.invalid(chain, "the name constraints of \(issuer.displayName) do not decode")
            }
            guard let constraints else { continue }
            if let unsupported = (constraints.permittedSubtrees + constraints.excludedSubtrees).first(where: {
                GeneralNameMatching.form(of: $0) == nil
            }) {
                return self.invalid(
                    chain,
                    "\(issuer.displayName) constrains \(GeneralNameMatching.describe(unsupported)) names, which Gatehouse does not evaluate"
                )
            }
            for index in 0..<issuerIndex {
                let certificate = chain[index]
                if index > 0, certificate.issuer == certificate.subject { continue }
                guard let names = Self.names(of: certificate) else {
                    return self.invalid(
                        chain, "the subject alternative names of \(certificate.displayName) do not decode")
                }
                let subtrees = constraints.permittedSubtrees.count + constraints.excludedSubtrees.count
                comparisons += names.count * subtrees
                guard comparisons <= Self.maximumComparisons else {
                    return self.invalid(
                        chain, "it has too many names and name constraints to compare (over \(Self.maximumComparisons))"
                    )
                }
                for name in names {
                    if let violation = Self.violation(of: name, constraints) {
                        return self.invalid(chain, "\(certificate.displayName): \(violation) of \(issuer.displayName)")
                    }
                }
            }
        }
        return nil
    }

    /// The names constraints apply to: subject alternative names, and the subject's e-mail
    /// addresses as RFC 822 names; `nil` when the extension does not decode.
    private static func names(of certificate: Certificate) -> [GeneralName]? {
        guard let alternativeNames = try? certificate.extensions.subjectAlternativeNames else {
            return certificate.extensions[oid: .X509ExtensionID.subjectAlternativeName] == nil
                ? Self.emails(certificate) : nil
        }
        return Array(alternativeNames) + Self.emails(certificate)
    }

    private static func emails(_ certificate: Certificate) -> [GeneralName] {
        certificate.subject.flatMap { $0 }.filter { $0.type == Self.emailAddress }.map {
            // An e-mail attribute whose value is not a string cannot match any subtree; check it as empty.
            .rfc822Name(String($0.value) ?? "")
        }
    }

    /// Why `name` breaks `constraints`, or `nil` when it does not.
    private static func violation(of name: GeneralName, _ constraints: NameConstraints) -> String? {
        guard let form = GeneralNameMatching.form(of: name) else { return nil }
        let shown = GeneralNameMatching.describe(name)
        let permitted = constraints.permittedSubtrees.filter { GeneralNameMatching.form(of: $0) == form }
        var isPermitted = permitted.isEmpty
        var uncomparable: GeneralName?
        for subtree in permitted where !isPermitted {
            switch GeneralNameMatching.match(name, subtree, excluding: false) {
            case true?: isPermitted = true
            case false?: continue
            case nil: uncomparable = uncomparable ?? subtree
            }
        }
        if !isPermitted, let uncomparable {
            return
                "\(shown) cannot be compared with the permitted subtree \(GeneralNameMatching.describe(uncomparable))"
        }
        guard isPermitted else { return "\(shown) is outside the permitted subtrees" }
        for subtree in constraints.excludedSubtrees where GeneralNameMatching.form(of: subtree) == form {
            switch GeneralNameMatching.match(name, subtree, excluding: true) {
            case false?: continue
            case true?: return "\(shown) is in the excluded subtree \(GeneralNameMatching.describe(subtree))"
            case nil:
                return "\(shown) cannot be compared with the excluded subtree \(GeneralNameMatching.describe(subtree))"
            }
        }
        return nil
    }

    private func invalid(_ chain: [Certificate], _ problem: String) -> CertificateProblem {
        CertificateProblem(
            .certificateChainInvalid, "The chain of \(chain[0].displayName) breaks a name constraint: \(problem).")
    }
}
