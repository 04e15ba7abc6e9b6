/**
 * The kernel connection the runtime is given (by the JupyterLab extension, or by tests).
 * The runtime never imports @jupyterlab/*: this interface is all it knows of the kernel.
 */

export type Buffers = readonly (ArrayBuffer | ArrayBufferView)[];

/** One comm, either end may have opened it. */
export interface Comm {
  readonly commId: string;
  send(data: unknown, buffers?: Buffers): void;
  close(data?: unknown): void;
  /** Set the handler for the kernel's messages on this comm. */
  onMessage(handler: (data: unknown, buffers: DataView[]) => void): void;
  /** Set the handler for the kernel closing this comm. */
  onClose(handler: (data: unknown) => void): void;
}

export interface KernelTransport {
  /** Call `handler` for every comm the kernel opens on `target`. */
  registerTarget(target: string, handler: (comm: Comm, data: unknown, buffers: DataView[]) => void): void;
  /** Open a comm from the browser (its `comm_open` carries `data`). */
  openComm(target: string, data: unknown, buffers?: Buffers, commId?: string): Comm;
  /** A handle on a comm the kernel already has open (a model restored after a page reload). */
  attachComm(target: string, commId: string): Comm;
}
