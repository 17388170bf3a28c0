import CPQ
import Foundation

/// libpq, loaded with `dlopen` the first time a PostgreSQL database is named. Linking it would make
/// every run of custctl load libpq and the twenty libraries it needs (TLS, Kerberos, LDAP): about
/// 3 ms more on each SQLite command. The types come from the CPQ module; the functions from here.
struct LibPQ {
    typealias Conn = OpaquePointer
    typealias Result = OpaquePointer
    typealias CString = UnsafePointer<CChar>
    typealias CStrings = UnsafePointer<UnsafePointer<CChar>?>

    let PQconnectStartParams: @convention(c) (CStrings?, CStrings?, Int32) -> Conn?
    let PQconnectPoll: @convention(c) (Conn?) -> PostgresPollingStatusType
    let PQsetErrorVerbosity: @convention(c) (Conn?, PGVerbosity) -> PGVerbosity
    let PQsetNoticeProcessor: @convention(c) (Conn?, PQnoticeProcessor?, UnsafeMutableRawPointer?) -> PQnoticeProcessor?
    let PQstatus: @convention(c) (Conn?) -> ConnStatusType
    let PQsocket: @convention(c) (Conn?) -> Int32
    let PQerrorMessage: @convention(c) (Conn?) -> UnsafeMutablePointer<CChar>?
    let PQfinish: @convention(c) (Conn?) -> Void
    let PQtransactionStatus: @convention(c) (Conn?) -> PGTransactionStatusType
    let PQserverVersion: @convention(c) (Conn?) -> Int32
    let PQdb: @convention(c) (Conn?) -> UnsafeMutablePointer<CChar>?
    let PQexec: @convention(c) (Conn?, CString?) -> Result?
    let PQexecParams:
        @convention(c) (
            Conn?, CString?, Int32, UnsafePointer<Oid>?, CStrings?, UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32
        ) -> Result?
    let PQprepare: @convention(c) (Conn?, CString?, CString?, Int32, UnsafePointer<Oid>?) -> Result?
    let PQexecPrepared:
        @convention(c) (Conn?, CString?, Int32, CStrings?, UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32) ->
            Result?
    let PQputCopyData: @convention(c) (Conn?, CString?, Int32) -> Int32
    let PQputCopyEnd: @convention(c) (Conn?, CString?) -> Int32
    let PQgetResult: @convention(c) (Conn?) -> Result?
    let PQclear: @convention(c) (Result?) -> Void
    let PQresultStatus: @convention(c) (Result?) -> ExecStatusType
    let PQresultErrorMessage: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?
    let PQresultErrorField: @convention(c) (Result?, Int32) -> UnsafeMutablePointer<CChar>?
    let PQntuples: @convention(c) (Result?) -> Int32
    let PQnfields: @convention(c) (Result?) -> Int32
    let PQcmdTuples: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?
    let PQgetvalue: @convention(c) (Result?, Int32, Int32) -> UnsafeMutablePointer<CChar>?
    let PQgetlength: @convention(c) (Result?, Int32, Int32) -> Int32
    let PQgetisnull: @convention(c) (Result?, Int32, Int32) -> Int32
    let PQftype: @convention(c) (Result?, Int32) -> Oid
    let PQconninfoParse:
        @convention(c) (CString?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutablePointer<
            PQconninfoOption
        >?
    let PQconninfoFree: @convention(c) (UnsafeMutablePointer<PQconninfoOption>?) -> Void
    let PQfreemem: @convention(c) (UnsafeMutableRawPointer?) -> Void

    /// The library, or why it could not be loaded (checked by `PostgreSQLTarget.init`, before any use).
    static let loaded = Swift.Result { () throws(StoreError) -> LibPQ in try LibPQ() }

    /// The loaded library. Every caller runs after a `PostgreSQLTarget` was made, which checked `loaded`.
    static var shared: LibPQ {
        switch loaded {
        case .success(let library): return library
        case .failure(let error): preconditionFailure("libpq used without a PostgreSQLTarget: \(error)")
        }
    }

    private init() throws(StoreError) {
        guard let handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            throw StoreError.unusable(
                path: "libpq.so.5",
                reason: "PostgreSQL's client library cannot be loaded (\(reason)); install it (Debian: libpq5)")
        }
        func symbol<T>(_ name: String) throws(StoreError) -> T {
            guard let address = dlsym(handle, name) else {
                throw StoreError.unusable(path: "libpq.so.5", reason: "it has no \(name): too old a libpq")
            }
            return unsafeBitCast(address, to: T.self)
        }
        PQconnectStartParams = try symbol("PQconnectStartParams")
        PQconnectPoll = try symbol("PQconnectPoll")
        PQsetErrorVerbosity = try symbol("PQsetErrorVerbosity")
        PQsetNoticeProcessor = try symbol("PQsetNoticeProcessor")
        PQstatus = try symbol("PQstatus")
        PQsocket = try symbol("PQsocket")
        PQerrorMessage = try symbol("PQerrorMessage")
        PQfinish = try symbol("PQfinish")
        PQtransactionStatus = try symbol("PQtransactionStatus")
        PQserverVersion = try symbol("PQserverVersion")
        PQdb = try symbol("PQdb")
        PQexec = try symbol("PQexec")
        PQexecParams = try symbol("PQexecParams")
        PQprepare = try symbol("PQprepare")
        PQexecPrepared = try symbol("PQexecPrepared")
        PQputCopyData = try symbol("PQputCopyData")
        PQputCopyEnd = try symbol("PQputCopyEnd")
        PQgetResult = try symbol("PQgetResult")
        PQclear = try symbol("PQclear")
        PQresultStatus = try symbol("PQresultStatus")
        PQresultErrorMessage = try symbol("PQresultErrorMessage")
        PQresultErrorField = try symbol("PQresultErrorField")
        PQntuples = try symbol("PQntuples")
        PQnfields = try symbol("PQnfields")
        PQcmdTuples = try symbol("PQcmdTuples")
        PQgetvalue = try symbol("PQgetvalue")
        PQgetlength = try symbol("PQgetlength")
        PQgetisnull = try symbol("PQgetisnull")
        PQftype = try symbol("PQftype")
        PQconninfoParse = try symbol("PQconninfoParse")
        PQconninfoFree = try symbol("PQconninfoFree")
        PQfreemem = try symbol("PQfreemem")
    }
}

/// libpq's functions for the files of this backend.
var pq: LibPQ { LibPQ.shared }

/// A C string libpq returned (its own memory), as Swift text; "" for none.
func pqText(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}
