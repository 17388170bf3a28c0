/// A small deterministic generator (SplitMix64): the same seed gives the same sequence on any machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Realistic synthetic customers: names, companies, emails and forge namespaces chosen by a seeded
/// generator, so `--random-seed` decides them entirely.
enum SyntheticCustomers {
    static let firstNames = [
        "Ada", "Alan", "Amara", "Anil", "Beatriz", "Bjorn", "Chen", "Chiara", "Dmitri", "Elena", "Emeka", "Farah",
        "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jamal", "Julia", "Kenji", "Keisha", "Lars", "Leila",
        "Lucas", "Maya", "Mateo", "Nadia", "Noah", "Olga", "Omar", "Priya", "Quentin", "Rosa", "Ravi", "Sofia",
        "Sven", "Tariq", "Tomas", "Uma", "Victor", "Wen", "Xavier", "Yara", "Yusuf", "Zoe", "Zainab", "Paolo",
    ]
    static let lastNames = [
        "Abara", "Bauer", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski",
        "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi", "Schmidt", "Tanaka", "Uddin", "Varga",
        "Wang", "Xu", "Yilmaz", "Zhang", "Novak", "Silva", "Murphy", "Kim", "Singh", "Olsen", "Costa", "Mendes",
    ]
    static let companyWords = [
        "Acme", "Apex", "Beacon", "Birch", "Cobalt", "Crane", "Delta", "Ember", "Fathom", "Granite", "Harbor", "Iris",
        "Juniper", "Keystone", "Lumen", "Maple", "Nimbus", "Orbit", "Pioneer", "Quartz", "Redwood", "Summit", "Tidal",
        "Umber", "Vertex", "Willow", "Zephyr", "Atlas", "Copper", "Falcon",
    ]
    static let companySuffixes = ["Labs", "Systems", "Software", "Analytics", "Works", "Cloud", "Digital", "Security"]

    /// The `index`-th synthetic customer of a run (indexes make emails and namespaces unique).
    static func make(index: Int, using generator: inout SeededGenerator) -> ProvisionRequest {
        let first = firstNames[Int(generator.next(upperBound: UInt64(firstNames.count)))]
        let last = lastNames[Int(generator.next(upperBound: UInt64(lastNames.count)))]
        let word = companyWords[Int(generator.next(upperBound: UInt64(companyWords.count)))]
        let suffix = companySuffixes[Int(generator.next(upperBound: UInt64(companySuffixes.count)))]
        let roll = generator.next(upperBound: UInt64(100))
        let type: CustomerType = roll < 70 ? .trial : (roll < 95 ? .paid : .enterprise)
        let slug = "\(word)-\(suffix)".lowercased()
        let forge = ["github", "github", "gitlab", "bitbucket"][Int(generator.next(upperBound: UInt64(4)))]
        var request = ProvisionRequest(
            email: "\(first).\(last).\(index)@\(slug).example".lowercased(), name: "\(first) \(last)",
            company: "\(word) \(suffix)", source: "seed", forges: ["\(forge):\(slug)-\(index)"])
        request.customerType = type
        return request
    }
}
