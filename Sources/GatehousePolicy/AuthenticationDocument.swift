package import GatehouseCore

// The authentication settings are Core values (`AuthenticationSettings`) since the identity
// layer stopped importing Policy; these names remain only until it reads the Core ones.
package typealias AuthenticationDocument = AuthenticationSettings
package typealias JWTIssuerDocument = JWTIssuerSettings
package typealias MutualTLSDocument = MutualTLSSettings
package typealias XRoadMappingDocument = XRoadMapping
