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

    let connectStartParams: @convention(c) (CStrings?, CStrings?, Int32) -> Conn?
    let connectPoll: @convention(c) (Conn?) -> PostgresPollingStatusType
    let setErrorVerbosity: @convention(c) (Conn?, PGVerbosity) -> PGVerbosity
    let setNoticeProcessor: @convention(c) (Conn?, PQnoticeProcessor?, UnsafeMutableRawPointer?) -> PQnoticeProcessor?
    let status: @convention(c) (Conn?) -> ConnStatusType
    let socket: @convention(c) (Conn?) -> Int32
    let errorMessage: @convention(c) (Conn?) -> UnsafeMutablePointer<CChar>?
    let finish: @convention(c) (Conn?) -> Void
    let transactionStatus: @convention(c) (Conn?) -> PGTransactionStatusType
    let db: @convention(c) (Conn?) -> UnsafeMutablePointer<CChar>?
    let exec: @convention(c) (Conn?, CString?) -> Result?
    let execParams:
        @convention(c) (
            Conn?, CString?, Int32, UnsafePointer<Oid>?, CStrings?, UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32
        ) -> Result?
    let prepare: @convention(c) (Conn?, CString?, CString?, Int32, UnsafePointer<Oid>?) -> Result?
    let execPrepared:
        @convention(c) (Conn?, CString?, Int32, CStrings?, UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32) ->
            Result?
    let clear: @convention(c) (Result?) -> Void
    let resultStatus: @convention(c) (Result?) -> ExecStatusType
    let resultErrorMessage: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?
    let resultErrorField: @convention(c) (Result?, Int32) -> UnsafeMutablePointer<CChar>?
    let ntuples: @convention(c) (Result?) -> Int32
    let nfields: @convention(c) (Result?) -> Int32
    let cmdTuples: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?
    let getvalue: @convention(c) (Result?, Int32, Int32) -> UnsafeMutablePointer<CChar>?
    let getlength: @convention(c) (Result?, Int32, Int32) -> Int32
    let getisnull: @convention(c) (Result?, Int32, Int32) -> Int32
    let ftype: @convention(c) (Result?, Int32) -> Oid
    let conninfoParse:
        @convention(c) (CString?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutablePointer<
            PQconninfoOption
        >?
    let conninfoFree: @convention(c) (UnsafeMutablePointer<PQconninfoOption>?) -> Void
    let freemem: @convention(c) (UnsafeMutableRawPointer?) -> Void

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
        connectStartParams = try symbol("PQconnectStartParams")
        connectPoll = try symbol("PQconnectPoll")
        setErrorVerbosity = try symbol("PQsetErrorVerbosity")
        setNoticeProcessor = try symbol("PQsetNoticeProcessor")
        status = try symbol("PQstatus")
        socket = try symbol("PQsocket")
        errorMessage = try symbol("PQerrorMessage")
        finish = try symbol("PQfinish")
        transactionStatus = try symbol("PQtransactionStatus")
        db = try symbol("PQdb")
        exec = try symbol("PQexec")
        execParams = try symbol("PQexecParams")
        prepare = try symbol("PQprepare")
        execPrepared = try symbol("PQexecPrepared")
        clear = try symbol("PQclear")
        resultStatus = try symbol("PQresultStatus")
        resultErrorMessage = try symbol("PQresultErrorMessage")
        resultErrorField = try symbol("PQresultErrorField")
        ntuples = try symbol("PQntuples")
        nfields = try symbol("PQnfields")
        cmdTuples = try symbol("PQcmdTuples")
        getvalue = try symbol("PQgetvalue")
        getlength = try symbol("PQgetlength")
        getisnull = try symbol("PQgetisnull")
        ftype = try symbol("PQftype")
        conninfoParse = try symbol("PQconninfoParse")
        conninfoFree = try symbol("PQconninfoFree")
        freemem = try symbol("PQfreemem")
    }
}

/// libpq's functions for the files of this backend.
var pq: LibPQ { LibPQ.shared }

/// A C string libpq returned (its own memory), as Swift text; "" for none.
func pqText(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}
