extension CompactJWS {
    /// The payload's bytes, exactly as signed: a bundle signature's payload is handed on as
    /// bytes, for the bundle reader to parse, instead of as a JWT claims object.
    ///
    /// - Returns: `nil` when the payload segment is not canonical unpadded base64url.
    func payloadBytes() -> [UInt8]? {
        Base64URL.decode(self.bytes[(self.firstDot + 1)..<self.secondDot])
    }
}
