/**
 * Input handling shared by every module: {@link org.laudnet.core.io.LaudInputException}, the root of the exceptions
 * for files and images the library refuses to accept.
 */
package org.laudnet.core.io;
