// The file operations the WAL performs, behind one small interface so that
// unit tests can count fsyncs and inject failures (ENOSPC, EIO). The default
// implementation is node:fs/promises; nothing else implements it outside
// test/wal/.
import * as fsp from 'node:fs/promises';

export interface WalFile {
  /** Writes all of `data` at `position` (a short write is retried; an error throws). */
  write(data: Uint8Array, position: number): Promise<void>;
  /** fdatasync: the data written so far and the file size are durable when this resolves. */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface FileOps {
  /** 'r+' opens an existing file for writing; 'wx' creates a new one and fails if it exists. */
  open(path: string, flags: 'r+' | 'wx'): Promise<WalFile>;
  readFile(path: string): Promise<Uint8Array>;
  readdir(dir: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  /** fsync a directory, making the names created, renamed or removed in it durable. */
  syncDir(dir: string): Promise<void>;
}

class NodeFile implements WalFile {
  constructor(private readonly fh: fsp.FileHandle) {}

  async write(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, position + done);
      if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
      done += bytesWritten;
    }
  }

  datasync(): Promise<void> {
    return this.fh.datasync();
  }

  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export const nodeFileOps: FileOps = {
  async open(path, flags) {
    return new NodeFile(await fsp.open(path, flags, 0o600));
  },
  async readFile(path) {
    // A plain Uint8Array view, so what is sliced out of it is a Uint8Array
    // copy (Buffer#slice would hand out Buffers sharing the file's memory).
    const b = await fsp.readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
  readdir(dir) {
    return fsp.readdir(dir);
  },
  rename(from, to) {
    return fsp.rename(from, to);
  },
  unlink(path) {
    return fsp.unlink(path);
  },
  async mkdir(path) {
    await fsp.mkdir(path, { recursive: true, mode: 0o700 });
  },
  async syncDir(dir) {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};
