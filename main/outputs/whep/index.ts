/** The WebRTC (WHEP) output: see {@link WhepOutput}. */
export {
  WhepOutput,
  WhepError,
  SdpError,
  type WhepOutputOptions,
  type WhepAnswer,
  type ViewerStats,
  type ViewerState,
} from './whep-output.ts';
export { parseWhepOffer, MAX_OFFER_BYTES, type WhepOffer } from './sdp.ts';
export { splitNalUnits, splitAccessUnits, containsIdr, nalType, NalType } from './h264.ts';
