// swift-tools-version:6.0
import PackageDescription

let package = Package(
    // Linux only: the process hardening (prctl) and terminal handling are Linux's, as is CI.
    name: "custctl",
    products: [
        .executable(name: "custctl", targets: ["custctl"]),
        .library(name: "CustomerKit", targets: ["CustomerKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CCrypt",
            pkgConfig: "libxcrypt",
            providers: [.apt(["libcrypt-dev"])]
        ),
        // libpq's header only: the library is loaded with dlopen when PostgreSQL is used (LibPQ.swift).
        .systemLibrary(
            name: "CPQ",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(name: "CProcess"),
        .target(
            name: "CustomerKit",
            dependencies: [
                "CCrypt",
                "CPQ",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "custctl",
            dependencies: [
                "CustomerKit",
                "CProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "CustomerKitTests",
            dependencies: [
                "CustomerKit",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "custctlTests",
            dependencies: [],
            exclude: ["Fixtures"]
        ),
    ]
)
