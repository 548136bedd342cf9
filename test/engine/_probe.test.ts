import { test } from "vitest";
import { TlvOfModel } from "@matter/main/types";
import { WebRtcTransportProvider as P } from "@matter/main/clusters/web-rtc-transport-provider";
import { WebRtcTransportRequestor as R } from "@matter/main/clusters/web-rtc-transport-requestor";
test("probe", () => {
  const so = TlvOfModel(P.commands.solicitOffer);
  const b = so.encode({ streamUsage: 3, originatingEndpointId: 1, videoStreamId: null, audioStreamId: null, iceServers: [{urLs:["stun:a"], username:"u", credential:"c", caid: 5}], iceTransportPolicy: "all" } as any);
  console.log(Buffer.from(b).toString("hex"));
  console.log(Object.keys(P.commands), Object.keys(R.commands));
  const po = TlvOfModel(P.commands.provideOffer).encode({ webRtcSessionId: null, sdp: "v=0", streamUsage: 3, originatingEndpointId: 1, videoStreamId: null } as any);
  console.log(Buffer.from(po).toString("hex"));
  console.log(TlvOfModel(P.commands.provideIceCandidates).encode({ webRtcSessionId: 1, iceCandidates: [{candidate: "c", sdpMid: null, sdpmLineIndex: null}] } as any));
  console.log(TlvOfModel(R.commands.end).decode(TlvOfModel(R.commands.end).encode({webRtcSessionId: 1, reason: 11} as any)));
  console.log(TlvOfModel(R.commands.iceCandidates).decode(TlvOfModel(R.commands.iceCandidates).encode({webRtcSessionId: 1, iceCandidates: [{candidate: "c", sdpMid: null, sdpmLineIndex: 0}]} as any)));
  const x: P.SolicitOfferRequest = so.decode(b);
  console.log(x, typeof (P.commands.solicitOffer as any).schema?.responseModel);
  console.log(TlvOfModel(R.commands.offer).decode(TlvOfModel(R.commands.offer).encode({webRtcSessionId: 1, sdp: "x"} as any)));
});
