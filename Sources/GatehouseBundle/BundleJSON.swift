import Foundation

/// The JSON of `.manifest.json` and `.signatures.json`: sorted keys and no escaped slashes, so
/// the same manifest always gives the same bytes.
enum BundleJSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Only our own Codable value types with String fields are encoded: this cannot fail.
        return Array(try! encoder.encode(value)) + [0x0A]
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ bytes: [UInt8]) -> Result<Value, any Error> {
        Result { try JSONDecoder().decode(type, from: Data(bytes)) }
    }
}

extension BundleManifest {
    /// The manifest as `.manifest.json` holds it.
    package var jsonBytes: [UInt8] { BundleJSON.encode(self) }

    /// Parses `.manifest.json`, refusing a text that is not a manifest (`manifest_invalid`).
    package static func parse(_ bytes: [UInt8]) throws(BundleError) -> BundleManifest {
        switch BundleJSON.decode(BundleManifest.self, bytes) {
        case .success(let manifest): return manifest
        case .failure(let error):
            throw BundleError(
                .manifestInvalid,
                "'\(BundleLayout.manifestName)' is not a bundle manifest (\(Self.reason(error))); rebuild the bundle "
                    + "with 'gatehouse bundle build'.")
        }
    }

    static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "no '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: "not valid JSON"
        }
    }
}
