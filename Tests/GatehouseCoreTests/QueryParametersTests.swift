import GatehouseCore
import Testing

@Suite("Query parameters")
struct QueryParametersTests {
    private func pairs(_ query: String) -> [String] {
        QueryParameters(parsing: query).pairs.map { "\($0.name)=\($0.value)" }
    }

    @Test("Parameters keep their order and repeats; a name without '=' has an empty value")
    func plain() {
        #expect(pairs("expand=owner&page=2&expand=tags") == ["expand=owner", "page=2", "expand=tags"])
        #expect(pairs("flag&a=") == ["flag=", "a="])
        #expect(pairs("a=b=c") == ["a=b=c"])
        #expect(pairs("") == [])
        #expect(QueryParameters(parsing: "expand=owner&expand=tags").first("expand") == "owner")
        #expect(QueryParameters(parsing: "expand=owner").first("page") == nil)
    }

    @Test("'+' is a space and percent-escapes are decoded, in names and values")
    func decoded() {
        #expect(pairs("q=a+b%20c") == ["q=a b c"])
        #expect(pairs("na%6De=%E2%82%AC") == ["name=€"])
        #expect(pairs("x=%41%42") == ["x=AB"])
    }

    @Test("An invalid or cut-off escape is kept as written")
    func invalidEscapes() {
        #expect(pairs("x=%zz") == ["x=%zz"])
        #expect(pairs("x=%4") == ["x=%4"])
        #expect(pairs("x=100%") == ["x=100%"])
        #expect(pairs("x=%4+") == ["x=%4 "])
    }
}
