/**
 * Injects a Node single-executable blob into a copy of the node binary (Linux ELF64, little endian),
 * doing what `postject … NODE_SEA_BLOB … --sentinel-fuse NODE_SEA_FUSE_…` does, without the
 * postject package: Node looks the blob up as an ELF note named NODE_SEA_BLOB in a PT_NOTE segment
 * of the running executable, and runs it only when the sentinel fuse reads `:1`.
 *
 * The program header table is moved to the end of the file (there is no room for two more entries
 * in place), into a new read-only PT_LOAD that also holds the note; PT_PHDR follows it.
 *
 * Usage: node scripts/sea-inject.ts NODE_BINARY BLOB OUTPUT
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

const PT_LOAD = 1;
const PT_NOTE = 4;
const PT_PHDR = 6;
const PF_R = 4;
const PHENT = 56;
const PAGE = 0x1000;
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:0';
const NOTE_NAME = 'NODE_SEA_BLOB';

interface Phdr {
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  align: bigint;
}

const align = (n: bigint, a: bigint) => ((n + a - 1n) / a) * a;

function readPhdr(b: Buffer, at: number): Phdr {
  return {
    type: b.readUInt32LE(at),
    flags: b.readUInt32LE(at + 4),
    offset: b.readBigUInt64LE(at + 8),
    vaddr: b.readBigUInt64LE(at + 16),
    paddr: b.readBigUInt64LE(at + 24),
    filesz: b.readBigUInt64LE(at + 32),
    memsz: b.readBigUInt64LE(at + 40),
    align: b.readBigUInt64LE(at + 48),
  };
}

function writePhdr(b: Buffer, at: number, p: Phdr): void {
  b.writeUInt32LE(p.type, at);
  b.writeUInt32LE(p.flags, at + 4);
  b.writeBigUInt64LE(p.offset, at + 8);
  b.writeBigUInt64LE(p.vaddr, at + 16);
  b.writeBigUInt64LE(p.paddr, at + 24);
  b.writeBigUInt64LE(p.filesz, at + 32);
  b.writeBigUInt64LE(p.memsz, at + 40);
  b.writeBigUInt64LE(p.align, at + 48);
}

/** The ELF note holding the blob: header, name padded to 4, blob padded to 4. */
function note(blob: Buffer): Buffer {
  const name = Buffer.from(`${NOTE_NAME}\0`);
  const nameLen = Number(align(BigInt(name.length), 4n));
  const out = Buffer.alloc(12 + nameLen + Number(align(BigInt(blob.length), 4n)));
  out.writeUInt32LE(name.length, 0);
  out.writeUInt32LE(blob.length, 4);
  out.writeUInt32LE(0, 8);
  name.copy(out, 12);
  blob.copy(out, 12 + nameLen);
  return out;
}

/** Returns the node binary with the blob injected and the fuse flipped. */
export function inject(binary: Buffer, blob: Buffer): Buffer {
  if (binary.readUInt32BE(0) !== 0x7f454c46 || binary[4] !== 2 || binary[5] !== 1) {
    throw new Error('not a little-endian ELF64 executable');
  }
  const fuseAt = binary.indexOf(FUSE);
  if (fuseAt < 0) throw new Error('no SEA fuse in the binary (already injected, or not a SEA-capable node)');
  const phoff = Number(binary.readBigUInt64LE(0x20));
  const phnum = binary.readUInt16LE(0x38);
  const phdrs = Array.from({ length: phnum }, (_, i) => readPhdr(binary, phoff + i * PHENT));
  const loads = phdrs.filter((p) => p.type === PT_LOAD);
  const first = loads[0];
  if (!first) throw new Error('no PT_LOAD segment');
  let end = 0n;
  for (const p of loads) if (p.vaddr + p.memsz > end) end = p.vaddr + p.memsz;

  const region = align(BigInt(binary.length), BigInt(PAGE));
  // Where both kernel rules for AT_PHDR agree: the first segment's load bias plus the file offset.
  const vaddr = first.vaddr - first.offset + region;
  if (vaddr < align(end, BigInt(PAGE))) throw new Error('the appended segment would overlap the image');
  const count = phnum + 2;
  const tableSize = BigInt(count * PHENT);
  const noteBytes = note(blob);
  const noteOffset = align(tableSize, 8n);
  const size = noteOffset + BigInt(noteBytes.length);

  const next: Phdr[] = [];
  const lastLoad = phdrs.lastIndexOf(loads.at(-1) as Phdr);
  phdrs.forEach((p, i) => {
    next.push(
      p.type === PT_PHDR
        ? { ...p, offset: region, vaddr, paddr: vaddr, filesz: tableSize, memsz: tableSize }
        : p,
    );
    // PT_LOAD entries stay sorted by address: the new one follows the last.
    if (i === lastLoad) {
      next.push({
        type: PT_LOAD,
        flags: PF_R,
        offset: region,
        vaddr,
        paddr: vaddr,
        filesz: size,
        memsz: size,
        align: BigInt(PAGE),
      });
    }
  });
  const noteVaddr = vaddr + noteOffset;
  next.push({
    type: PT_NOTE,
    flags: PF_R,
    offset: region + noteOffset,
    vaddr: noteVaddr,
    paddr: noteVaddr,
    filesz: BigInt(noteBytes.length),
    memsz: BigInt(noteBytes.length),
    align: 4n,
  });

  const out = Buffer.alloc(Number(region + size));
  binary.copy(out, 0);
  for (const [i, p] of next.entries()) writePhdr(out, Number(region) + i * PHENT, p);
  noteBytes.copy(out, Number(region + noteOffset));
  out.writeBigUInt64LE(region, 0x20);
  out.writeUInt16LE(count, 0x38);
  out.write('1', fuseAt + FUSE.length - 1);
  return out;
}

if (import.meta.main) {
  const [binaryPath, blobPath, outPath] = process.argv.slice(2);
  if (!binaryPath || !blobPath || !outPath) {
    process.stderr.write('usage: node scripts/sea-inject.ts NODE_BINARY BLOB OUTPUT\n');
    process.exit(2);
  }
  writeFileSync(outPath, inject(readFileSync(binaryPath), readFileSync(blobPath)));
  chmodSync(outPath, 0o755);
}
