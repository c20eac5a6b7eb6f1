package org.laudnet.core.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ChannelGranularityTest {

    @Test
    void groupsAndChannelsPerGroupNameTheSamePartition() {
        // a width-64 stage: 4 groups of 16 channels, spelled as groups (this project) or channels per group (reference)
        assertEquals(4, ChannelGranularity.parse("4").groups(64));
        assertEquals(4, ChannelGranularity.parse("groups=4").groups(64));
        assertEquals(4, ChannelGranularity.parse("cpg=16").groups(64));
        assertEquals(4, ChannelGranularity.parse("channels-per-group=16").groups(64));
        assertEquals(ChannelGranularity.Kind.CHANNELS_PER_GROUP, ChannelGranularity.parse("CPG=2").kind());
        // the reference's channel_dyn_granularity = 2 on a width-512 stage: 256 groups
        assertEquals(256, new ChannelGranularity(ChannelGranularity.Kind.CHANNELS_PER_GROUP, 2).groups(512));
    }

    @Test
    void badSpellingsAndValuesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChannelGranularity.parse("width=4"));
        assertEquals("channel granularity 'width=4' must be G, groups=G, cpg=K or channels-per-group=K",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ChannelGranularity.parse("cpg=0"));
        assertEquals("channels per group must be positive, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ChannelGranularity.parse("cpg=3").groups(64));
        assertEquals("channels per group 3 must divide the stage width 64", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ChannelGranularity.parse("groups=x"));
    }
}
