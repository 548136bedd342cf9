/**
 * Turns relay failures into the matter.js network errors a native platform would raise, so
 * matter.js' own handling works unchanged behind the relay: e.g. `UdpMulticastServer` accepts
 * `NoAddressAvailableError` for an interface without IPv4, TCP code sees `TcpDisconnectError`.
 */

import {
    AddressInUseError,
    AddressUnreachableError,
    BindError,
    NetworkError,
    NetworkUnreachableError,
    NoAddressAvailableError,
    TcpDisconnectError,
} from "@matter/main";
import { ErrorCode } from "../protocol.js";
import { RelayClosedError, RelayRequestError } from "./relay-connection.js";

type NetworkErrorClass = new (message?: string) => NetworkError;

function classFor(code: ErrorCode): NetworkErrorClass {
    switch (code) {
        case ErrorCode.addressInUse:
            return AddressInUseError;
        case ErrorCode.bindFailed:
            return BindError;
        case ErrorCode.noAddress:
            return NoAddressAvailableError;
        case ErrorCode.hostUnreachable:
            return AddressUnreachableError;
        case ErrorCode.networkUnreachable:
            return NetworkUnreachableError;
        case ErrorCode.disconnected:
            return TcpDisconnectError;
        default:
            return NetworkError;
    }
}

/** A matter.js network error for relay error `code` with the relay's `reason`. */
export function networkErrorFor(code: ErrorCode, reason: string): NetworkError {
    const Class = classFor(code);
    return new Class(reason);
}

/** Any failure of a relay request as a matter.js network error; `disconnect` is used when the relay is gone. */
export function asNetworkError(error: unknown, disconnect: NetworkErrorClass = NetworkError): NetworkError {
    if (error instanceof NetworkError) return error;
    if (error instanceof RelayRequestError) return networkErrorFor(error.code, error.reason);
    if (error instanceof RelayClosedError) return new disconnect(error.message);
    return new NetworkError(error instanceof Error ? error.message : String(error));
}
