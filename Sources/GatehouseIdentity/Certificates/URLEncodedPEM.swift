import GatehouseCore
import SwiftASN1
import X509

/// Envoy's `source.certificate`: the leaf certificate as PEM, percent-encoded, possibly followed
/// by the intermediates the client sent (what Envoy puts in XFCC `Chain=`, and what some fronts
/// forward).
///
/// Decoding is strict, because anything lenient here is attack surface: the text must be
/// printable ASCII with only well-formed `%XX` escapes, and the decoded text must be one to
/// ``maximumCertificates`` `CERTIFICATE` PEM blocks with nothing but whitespace around and
/// between them. The first is the leaf; the others are only candidates for path building.
enum URLEncodedPEM {
    /// The largest encoded text decoded; a real leaf is a few KiB even when fully escaped.
    static let maximumBytes = 64 * 1024
    /// The most certificates read from one field, the leaf included.
    static let maximumCertificates = 8

    /// Decodes and parses the certificates in `text`, leaf first.
    static func certificates(from text: String) -> Result<[Certificate], CertificateProblem> {
        let encoded = text.utf8
        guard encoded.count <= Self.maximumBytes else {
            return .failure(
                CertificateProblem(
                    .certificateTooLarge,
                    "The client certificate is \(encoded.count) bytes URL-encoded, over the limit of \(Self.maximumBytes)."
                ))
        }
        guard let pem = Self.percentDecoded(encoded) else {
            return .failure(
                CertificateProblem(.certificateMalformed, "The client certificate is not correctly URL-encoded."))
        }
        return Self.certificates(inPEM: pem)
    }

    /// The text with `%XX` escapes decoded, or `nil` when an escape is malformed, a byte is not
    /// printable ASCII (so raw PEM with its line breaks is refused), or the result is not ASCII.
    static func percentDecoded(_ encoded: String.UTF8View) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoded.count)
        var iterator = encoded.makeIterator()
        while let byte = iterator.next() {
            guard byte > 0x20, byte < 0x7F else { return nil }
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
            else { return nil }
            let decoded = high << 4 | low
            // PEM is ASCII; a decoded NUL or non-ASCII byte can only be an attack or corruption.
            guard decoded != 0, decoded < 0x80 else { return nil }
            bytes.append(decoded)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let begin = "-----BEGIN CERTIFICATE-----"
    private static let end = "-----END CERTIFICATE-----"

    /// Parses `pem`: `CERTIFICATE` blocks, leaf first, with only whitespace around and between them.
    static func certificates(inPEM pem: String) -> Result<[Certificate], CertificateProblem> {
        var rest = Substring(pem.trimmingASCIIWhitespace())
        var blocks: [Substring] = []
        while !rest.isEmpty {
            guard rest.hasPrefix(Self.begin), let end = rest.firstRange(of: Self.end) else {
                return .failure(
                    CertificateProblem(
                        .certificateMalformed,
                        blocks.isEmpty
                            ? "The client certificate is not PEM."
                            : "The client certificate field has something other than a certificate after block \(blocks.count)."
                    ))
            }
            guard blocks.count < Self.maximumCertificates else {
                return .failure(
                    CertificateProblem(
                        .certificateChainTooLong,
                        "The client certificate field holds more than \(Self.maximumCertificates) certificates; send the leaf and at most \(Self.maximumCertificates - 1) intermediates."
                    ))
            }
            blocks.append(rest[..<end.upperBound])
            rest = Substring(String(rest[end.upperBound...]).trimmingASCIIWhitespace())
        }
        guard !blocks.isEmpty else {
            return .failure(CertificateProblem(.certificateMalformed, "The client certificate is not PEM."))
        }
        var certificates: [Certificate] = []
        for (index, block) in blocks.enumerated() {
            switch Self.certificate(inBlock: String(block), position: index + 1) {
            case .success(let certificate): certificates.append(certificate)
            case .failure(let problem): return .failure(problem)
            }
        }
        return .success(certificates)
    }

    /// The certificate in one `BEGIN`…`END CERTIFICATE` block, the `position`th of the field.
    private static func certificate(inBlock block: String, position: Int) -> Result<Certificate, CertificateProblem> {
        let which = position == 1 ? "The client certificate" : "Certificate \(position) of the client's chain"
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: block + "\n")
        } catch {
            return .failure(CertificateProblem(.certificateMalformed, "\(which)'s PEM does not decode."))
        }
        guard documents.count == 1, let document = documents.first, document.discriminator == "CERTIFICATE" else {
            return .failure(CertificateProblem(.certificateMalformed, "\(which)'s PEM does not decode."))
        }
        do {
            return .success(try Certificate(derEncoded: document.derBytes))
        } catch {
            return .failure(CertificateProblem(.certificateMalformed, "\(which) is not a valid X.509 certificate."))
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    /// The text without leading and trailing spaces, tabs, CR and LF.
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = self.firstIndex(where: { !isSpace($0) }), let last = self.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
