/// Text from a certificate or principal, made safe to put in a description or log line.
///
/// Such text is chosen by whoever made the certificate, possibly an attacker: it is shown in
/// single quotes, with control characters, quotes, backslashes and non-ASCII escaped (so it
/// cannot forge log lines or hide behind look-alike characters) and cut after 128 characters.
struct Quoted: CustomStringConvertible {
    let text: String

    init(_ text: String) { self.text = text }

    static let maximumScalars = 128

    var description: String {
        var result = "'"
        for (index, scalar) in self.text.unicodeScalars.enumerated() {
            guard index < Self.maximumScalars else {
                result += "…"
                break
            }
            switch scalar.value {
            case 0x27: result += "\\'"
            case 0x5C: result += "\\\\"
            case 0x20..<0x7F: result.unicodeScalars.append(scalar)
            default: result += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return result + "'"
    }
}
