/** Transfer syntaxes Relais knows, with the properties the pipeline needs. */
export interface TransferSyntaxInfo {
  uid: string;
  name: string;
  explicitVr: boolean;
  littleEndian: boolean;
  encapsulated: boolean;
  lossless: boolean;
  deflated?: boolean;
}

const list: TransferSyntaxInfo[] = [
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', explicitVr: false, littleEndian: true, encapsulated: false, lossless: true },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', explicitVr: true, littleEndian: true, encapsulated: false, lossless: true },
  { uid: '1.2.840.10008.1.2.1.99', name: 'Deflated Explicit VR Little Endian', explicitVr: true, littleEndian: true, encapsulated: false, lossless: true, deflated: true },
  { uid: '1.2.840.10008.1.2.2', name: 'Explicit VR Big Endian', explicitVr: true, littleEndian: false, encapsulated: false, lossless: true },
  { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', explicitVr: true, littleEndian: true, encapsulated: true, lossless: true },
  { uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline', explicitVr: true, littleEndian: true, encapsulated: true, lossless: false },
  { uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended', explicitVr: true, littleEndian: true, encapsulated: true, lossless: false },
  { uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless', explicitVr: true, littleEndian: true, encapsulated: true, lossless: true },
  { uid: '1.2.840.10008.1.2.4.70', name: 'JPEG Lossless SV1', explicitVr: true, littleEndian: true, encapsulated: true, lossless: true },
  { uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless', explicitVr: true, littleEndian: true, encapsulated: true, lossless: true },
  { uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Near-Lossless', explicitVr: true, littleEndian: true, encapsulated: true, lossless: false },
  { uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 Lossless', explicitVr: true, littleEndian: true, encapsulated: true, lossless: true },
  { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000', explicitVr: true, littleEndian: true, encapsulated: true, lossless: false },
  { uid: '1.2.840.10008.1.2.4.201', name: 'HTJ2K Lossless', explicitVr: true, littleEndian: true, encapsulated: true, lossless: true },
  { uid: '1.2.840.10008.1.2.4.202', name: 'HTJ2K Lossless RPCL', explicitVr: true, littleEndian: true, encapsulated: true, lossless: true },
  { uid: '1.2.840.10008.1.2.4.203', name: 'HTJ2K', explicitVr: true, littleEndian: true, encapsulated: true, lossless: false },
  { uid: '1.2.840.10008.1.2.4.110', name: 'JPEG XL Lossless', explicitVr: true, littleEndian: true, encapsulated: true, lossless: true },
  { uid: '1.2.840.10008.1.2.4.111', name: 'JPEG XL JPEG Recompression', explicitVr: true, littleEndian: true, encapsulated: true, lossless: true },
  { uid: '1.2.840.10008.1.2.4.112', name: 'JPEG XL', explicitVr: true, littleEndian: true, encapsulated: true, lossless: false },
];

export const TRANSFER_SYNTAXES: ReadonlyMap<string, TransferSyntaxInfo> = new Map(list.map((t) => [t.uid, t]));

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  deflatedLE: '1.2.840.10008.1.2.1.99',
  explicitBE: '1.2.840.10008.1.2.2',
  rle: '1.2.840.10008.1.2.5',
  jpegLsLossless: '1.2.840.10008.1.2.4.80',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  htj2kLossless: '1.2.840.10008.1.2.4.201',
  jpegXlLossless: '1.2.840.10008.1.2.4.110',
} as const;
