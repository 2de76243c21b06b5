package import Foundation

/// The admin API's JSON: snake_case keys, RFC 3339 times, sorted keys so that answers diff well.
///
/// The keys are public API (deploy/ADMIN.md lists them); the `gatehouse admin` client decodes
/// with the same settings.
package enum AdminJSON {
    /// Encodes the API's bodies.
    package static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }

    /// Decodes the API's bodies.
    package static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
