/** Types of LZMA-JS's codec file (package `lzma`), which ships none. */
declare module "lzma/src/lzma_worker-min.js" {
  interface LzmaJs {
    /** Synchronous without callbacks: the `.lzma` bytes, signed. */
    compress(data: string | Uint8Array, mode: number): number[];
    /** Synchronous without callbacks: a string when the bytes are UTF-8, else the signed bytes. */
    decompress(data: Uint8Array | number[]): string | number[];
  }
  const worker: { readonly LZMA: LzmaJs };
  export default worker;
}
