import GatehouseCore
import SwiftASN1
import X509

/// Envoy's `source.certificate`: the leaf certificate as PEM, percent-encoded.
///
/// Decoding is strict, because anything lenient here is attack surface: the text must be
/// printable ASCII with only well-formed `%XX` escapes, and the decoded text must be exactly
/// one `CERTIFICATE` PEM block with nothing but whitespace around it.
enum URLEncodedPEM {
    /// The largest encoded text decoded; a real leaf is a few KiB even when fully escaped.
    static let maximumBytes = 64 * 1024

    /// Decodes and parses the one certificate in `text`.
    static func certificate(from text: String) -> Result<Certificate, CertificateProblem> {
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
        return Self.singleCertificate(inPEM: pem)
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

    /// Parses `pem`, which must hold exactly one `CERTIFICATE` block and only whitespace around it.
    static func singleCertificate(inPEM pem: String) -> Result<Certificate, CertificateProblem> {
        let trimmed = pem.trimmingASCIIWhitespace()
        guard trimmed.hasPrefix("-----BEGIN CERTIFICATE-----"), trimmed.hasSuffix("-----END CERTIFICATE-----") else {
            return .failure(CertificateProblem(.certificateMalformed, "The client certificate is not PEM."))
        }
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: trimmed + "\n")
        } catch {
            return .failure(CertificateProblem(.certificateMalformed, "The client certificate's PEM does not decode."))
        }
        guard documents.count == 1, let document = documents.first, document.discriminator == "CERTIFICATE" else {
            return .failure(
                CertificateProblem(
                    .certificateMalformed,
                    "The client certificate field holds \(documents.count) PEM blocks; Envoy forwards exactly one."))
        }
        do {
            return .success(try Certificate(derEncoded: document.derBytes))
        } catch {
            return .failure(
                CertificateProblem(.certificateMalformed, "The client certificate is not a valid X.509 certificate."))
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
