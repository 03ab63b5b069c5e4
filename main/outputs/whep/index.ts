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
export { splitAccessUnits, joinWithStartCodes, type AnnexBAccessUnit } from './h264.ts';
export { splitAnnexB, isIdr, NalType } from '../../encode/annexb.ts';
