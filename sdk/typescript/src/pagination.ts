/** One page of a list: `nextCursor` is null on the last one. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * What every list method returns. `await` it for one page; `for await` over it for every item,
 * page after page (each page is fetched when the previous one is used up). Nothing is requested
 * until one of the two happens.
 */
export class PageRequest<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  readonly #fetchPage: (cursor: string | undefined) => Promise<Page<T>>;
  readonly #startCursor: string | undefined;
  #firstPage: Promise<Page<T>> | undefined;

  constructor(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, startCursor?: string) {
    this.#fetchPage = fetchPage;
    this.#startCursor = startCursor;
  }

  then<A = Page<T>, B = never>(
    onFulfilled?: ((page: Page<T>) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#first().then(onFulfilled, onRejected);
  }

  #first(): Promise<Page<T>> {
    this.#firstPage ??= this.#fetchPage(this.#startCursor);
    return this.#firstPage;
  }

  catch<B = never>(onRejected: (reason: unknown) => B | PromiseLike<B>): Promise<Page<T> | B> {
    return this.then(undefined, onRejected);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let page = await this.#first();
    for (;;) {
      yield* page.items;
      if (!page.nextCursor) return;
      page = await this.#fetchPage(page.nextCursor);
    }
  }
}
