extension ClaimValue {
    /// Parses the JSON text a decision record keeps for a loggable claim (``jsonText``), with
    /// Core's strict reader (``JSONReader``). `nil` when the text is not one JSON value.
    package init?(jsonText text: String) {
        var text = text
        let value = text.withUTF8 { utf8 in
            try? JSONReader.value(from: UnsafeRawBufferPointer(utf8), options: Self.recordedClaimOptions)
        }
        guard let value else { return nil }
        self = value
    }

    /// A record's claim is small, canonical JSON written by ``jsonText``; deeper nesting than this is
    /// refused rather than risking the stack on a hostile record.
    private static let recordedClaimOptions = JSONReader.Options(maximumDepth: 64)
}
