extension PathNormalizer {
    /// How request paths are normalized: the server's `paths` settings.
    ///
    /// The same value must reach every place a request is built (the Envoy mapping, `gatehouse
    /// check`, policy test cases), so that they all decide a path alike.
    package struct Configuration: Sendable, Hashable {
        /// What a `.` or `..` segment or an encoded dot does: refuse the path (the default) or be resolved.
        package var dotSegments: DotSegments

        /// - Parameter dotSegments: ``DotSegments/reject`` unless Envoy normalizes paths for the upstream.
        package init(dotSegments: DotSegments = .reject) {
            self.dotSegments = dotSegments
        }

        /// Dot segments and encoded dots refuse the path.
        package static var defaults: Self { Self() }

        /// The defaults, changed by `configure`.
        package static func defaults(configure: (inout Self) -> Void) -> Self {
            var configuration = Self.defaults
            configure(&configuration)
            return configuration
        }
    }
}
