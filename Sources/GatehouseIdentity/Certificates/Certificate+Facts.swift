import X509

extension Certificate {
    /// Whether basic constraints say `cA: true`; `nil` when the extension does not decode.
    var isCertificateAuthority: Bool? {
        do {
            guard case .isCertificateAuthority = try self.extensions.basicConstraints else { return false }
            return true
        } catch {
            return nil
        }
    }

    /// The key usage extension: `.success(nil)` when absent, `.failure` when it does not decode.
    var decodedKeyUsage: Result<KeyUsage?, any Error> { Result { try self.extensions.keyUsage } }

    /// Whether the certificate names itself as issuer and its own key verifies its signature.
    var isSelfSigned: Bool {
        self.subject == self.issuer && self.publicKey.isValidSignature(self.signature, for: self)
    }

    /// The serial number as lower-case hex, without the sign byte DER may put in front.
    var hexSerialNumber: String {
        let bytes = self.serialNumber.bytes.drop { $0 == 0 }
        guard !bytes.isEmpty else { return "00" }
        return bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Subject and serial for descriptions: `'CN=a,O=b' (serial 0a1b)`, never the encoding.
    var displayName: String {
        "\(Quoted(RFC4514Name.render(self.subject))) (serial \(self.hexSerialNumber))"
    }
}
