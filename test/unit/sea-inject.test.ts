import { describe, expect, it } from 'vitest';
import { inject } from '../../scripts/sea-inject.ts';

const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:0';

/** A minimal ELF64 executable image: header, PT_PHDR and one PT_LOAD, the fuse string in it. */
function tinyElf(): Buffer {
  const b = Buffer.alloc(0x2000);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // ELFCLASS64
  b[5] = 1; // little endian
  b.writeBigUInt64LE(64n, 0x20); // e_phoff
  b.writeUInt16LE(56, 0x36);
  b.writeUInt16LE(2, 0x38); // e_phnum
  const ph = (i: number, type: number, offset: bigint, vaddr: bigint, size: bigint) => {
    const at = 64 + i * 56;
    b.writeUInt32LE(type, at);
    b.writeUInt32LE(4, at + 4);
    b.writeBigUInt64LE(offset, at + 8);
    b.writeBigUInt64LE(vaddr, at + 16);
    b.writeBigUInt64LE(vaddr, at + 24);
    b.writeBigUInt64LE(size, at + 32);
    b.writeBigUInt64LE(size, at + 40);
    b.writeBigUInt64LE(0x1000n, at + 48);
  };
  ph(0, 6, 64n, 0x400040n, 112n);
  ph(1, 1, 0n, 0x400000n, 0x2000n);
  b.write(FUSE, 0x1000);
  return b;
}

describe('sea-inject', () => {
  it('adds a PT_LOAD and a PT_NOTE named NODE_SEA_BLOB at the end, moves the header table and flips the fuse', () => {
    const blob = Buffer.from('the bundle');
    const out = inject(tinyElf(), blob);
    const phoff = Number(out.readBigUInt64LE(0x20));
    expect(phoff).toBe(0x2000);
    expect(out.readUInt16LE(0x38)).toBe(4);
    const types = [0, 1, 2, 3].map((i) => out.readUInt32LE(phoff + i * 56));
    expect(types).toEqual([6, 1, 1, 4]); // PHDR, old LOAD, new LOAD (sorted), NOTE
    // PT_PHDR points at the moved table, inside the new segment, at load bias + file offset.
    expect(out.readBigUInt64LE(phoff + 8)).toBe(0x2000n);
    expect(out.readBigUInt64LE(phoff + 16)).toBe(0x402000n);
    const noteOffset = Number(out.readBigUInt64LE(phoff + 3 * 56 + 8));
    expect(out.readUInt32LE(noteOffset)).toBe('NODE_SEA_BLOB\0'.length);
    expect(out.readUInt32LE(noteOffset + 4)).toBe(blob.length);
    expect(out.toString('latin1', noteOffset + 12, noteOffset + 25)).toBe('NODE_SEA_BLOB');
    expect(out.subarray(noteOffset + 28, noteOffset + 28 + blob.length).toString()).toBe('the bundle');
    expect(out.toString('latin1', 0x1000, 0x1000 + FUSE.length)).toBe(`${FUSE.slice(0, -1)}1`);
  });

  it('refuses a binary without the fuse (already injected) and a file that is not ELF64', () => {
    const once = inject(tinyElf(), Buffer.from('x'));
    expect(() => inject(once, Buffer.from('x'))).toThrow(/no SEA fuse/);
    expect(() => inject(Buffer.alloc(64), Buffer.from('x'))).toThrow(/not a little-endian ELF64/);
  });
});
