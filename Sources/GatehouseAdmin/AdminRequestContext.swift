package import Hummingbird

/// The request context of the admin API: Hummingbird's core context and the connection the
/// request arrived on, whose verified client certificate ``AdminConnections`` keeps.
package struct AdminRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The connection, as ``AdminConnections`` knows it.
    let connection: ObjectIdentifier

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.connection = ObjectIdentifier(source.channel)
    }
}
