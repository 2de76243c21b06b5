import GatehouseCore
package import NIOCore

extension AuthZENJSON {
    /// Appends `value` as compact JSON: object members sorted by name, `/` not escaped, whole
    /// numbers below 10^15 without a fraction (an HTTP status prints as `403`), other numbers in
    /// Swift's shortest round-trip form. A non-finite number, which JSON cannot hold, is `null`.
    ///
    /// - Parameters:
    ///   - value: The value to write.
    ///   - buffer: Where its bytes are appended.
    package static func write(_ value: AuthZENValue, into buffer: inout ByteBuffer) {
        switch value {
        case .null: buffer.writeStaticString("null")
        case .bool(let flag): buffer.writeStaticString(flag ? "true" : "false")
        case .number(let number): Self.write(number: number, into: &buffer)
        case .string(let text): Self.write(string: text, into: &buffer)
        case .array(let elements):
            buffer.writeInteger(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                Self.write(element, into: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "]"))
        case .object(let members):
            buffer.writeInteger(UInt8(ascii: "{"))
            for (index, name) in members.keys.sorted().enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                Self.write(string: name, into: &buffer)
                buffer.writeInteger(UInt8(ascii: ":"))
                // The name comes from the dictionary's own keys.
                Self.write(members[name]!, into: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    /// Appends `text` as a JSON string: `"` and `\` escaped, control characters as `\n`, `\t`, …
    /// or `\u00XX`, everything else (non-ASCII included) as its UTF-8 bytes.
    package static func write(string text: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[start..<index])))
                Self.write(escapeOf: byte, into: &buffer)
                start = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[start...])))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private static func write(escapeOf byte: UInt8, into buffer: inout ByteBuffer) {
        switch byte {
        case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
        case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
        case 0x08: buffer.writeStaticString("\\b")
        case 0x0C: buffer.writeStaticString("\\f")
        case 0x0A: buffer.writeStaticString("\\n")
        case 0x0D: buffer.writeStaticString("\\r")
        case 0x09: buffer.writeStaticString("\\t")
        default:
            let digits: StaticString = "0123456789abcdef"
            buffer.writeStaticString("\\u00")
            buffer.writeInteger(digits.utf8Start[Int(byte >> 4)])
            buffer.writeInteger(digits.utf8Start[Int(byte & 0x0F)])
        }
    }

    private static func write(number: Double, into buffer: inout ByteBuffer) {
        guard number.isFinite else {
            buffer.writeStaticString("null")
            return
        }
        if number == number.rounded(), abs(number) < 1e15 {
            buffer.writeString(String(Int64(number)))
        } else {
            buffer.writeString(number.description)
        }
    }
}

extension AuthZENDTO.Decision {
    /// Appends `{"context": {…}, "decision": …}` (members in name order; no `context` when `nil`).
    package func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "{"))
        if let context = self.context {
            buffer.writeStaticString("\"context\":")
            AuthZENJSON.write(.object(context), into: &buffer)
            buffer.writeInteger(UInt8(ascii: ","))
        }
        buffer.writeStaticString(self.decision ? "\"decision\":true}" : "\"decision\":false}")
    }
}

extension AuthZENDTO.Decisions {
    /// Appends `{"evaluations": [{…}, …]}`.
    package func write(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"evaluations\":[")
        for (index, decision) in self.evaluations.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            decision.write(into: &buffer)
        }
        buffer.writeStaticString("]}")
    }
}

extension AuthZENDTO.Metadata {
    /// Appends the metadata document (members in name order).
    package func write(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"access_evaluation_endpoint\":")
        AuthZENJSON.write(string: self.accessEvaluationEndpoint, into: &buffer)
        buffer.writeStaticString(",\"access_evaluations_endpoint\":")
        AuthZENJSON.write(string: self.accessEvaluationsEndpoint, into: &buffer)
        buffer.writeStaticString(",\"policy_decision_point\":")
        AuthZENJSON.write(string: self.policyDecisionPoint, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "}"))
    }
}

extension AccessEvaluation {
    /// Appends the AuthZEN answer to this evaluation: the outcome, and why in `context` —
    /// `{"context": {"decision_id", "policy"?, "policy_revision", "reason", "reason_detail"?,
    /// "rule"?, "status"}, "decision": …}`, members in name order, byte for byte what
    /// ``AuthZENDTO/Decision/write(into:)`` writes for that context, without building a dictionary.
    package func writeAuthZEN(into buffer: inout ByteBuffer) {
        let decision = self.decision
        buffer.writeStaticString("{\"context\":{\"decision_id\":")
        AuthZENJSON.write(string: self.decisionID, into: &buffer)
        if let policy = decision.policy {
            buffer.writeStaticString(",\"policy\":")
            AuthZENJSON.write(string: policy, into: &buffer)
        }
        buffer.writeStaticString(",\"policy_revision\":")
        AuthZENJSON.write(string: decision.policyRevision, into: &buffer)
        buffer.writeStaticString(",\"reason\":")
        AuthZENJSON.write(string: decision.reason.code, into: &buffer)
        if let detail = decision.reasonDetail {
            buffer.writeStaticString(",\"reason_detail\":")
            AuthZENJSON.write(string: detail.code, into: &buffer)
        }
        if let rule = decision.rule {
            buffer.writeStaticString(",\"rule\":")
            AuthZENJSON.write(string: rule, into: &buffer)
        }
        buffer.writeStaticString(",\"status\":")
        buffer.writeString(String(decision.status))
        buffer.writeStaticString(decision.isAllowed ? "},\"decision\":true}" : "},\"decision\":false}")
    }
}
